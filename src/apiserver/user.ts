/** The authenticated user a request runs as (the lead's HTTPS server fills it; tests construct it). */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}
