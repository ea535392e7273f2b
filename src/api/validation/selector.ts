/** metav1 LabelSelector validation (apimachinery/pkg/apis/meta/v1/validation) and selector matching. */
import type { FieldError } from '../errors.js';
import { isValidLabelValue } from '../names.js';
import { asArr, asObj, child, forbidden, index, invalid, required, str } from './field.js';
import { validateLabelName, validateLabels } from './objectmeta.js';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function validateLabelSelectorRequirement(sr: Record<string, unknown>, field: string, allowInvalidValues = false): FieldError[] {
  const errs: FieldError[] = [];
  const values = asArr(sr.values);
  switch (sr.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(required(child(field, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(forbidden(child(field, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    default:
      errs.push(invalid(child(field, 'operator'), sr.operator ?? '', 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(str(sr.key), child(field, 'key')));
  if (!allowInvalidValues) {
    values.forEach((v, i) => {
      for (const m of isValidLabelValue(str(v))) errs.push(invalid(index(child(field, 'values'), i), v, m));
    });
  }
  return errs;
}

export function validateLabelSelector(sel: unknown, field: string, allowInvalidValues = false): FieldError[] {
  const ps = asObj(sel);
  if (!ps) return [];
  const errs = validateLabels(asObj(ps.matchLabels) as Record<string, string> | undefined, child(field, 'matchLabels'));
  asArr(ps.matchExpressions).forEach((e, i) => {
    errs.push(...validateLabelSelectorRequirement(asObj(e) ?? {}, index(child(field, 'matchExpressions'), i), allowInvalidValues));
  });
  return errs;
}

/** Whether a selector selects nothing-or-everything: true when it has no requirements. */
export function selectorIsEmpty(sel: unknown): boolean {
  const ps = asObj(sel);
  if (!ps) return true;
  return Object.keys(asObj(ps.matchLabels) ?? {}).length === 0 && asArr(ps.matchExpressions).length === 0;
}

/** Does the selector match these labels (LabelSelectorAsSelector semantics)? */
export function selectorMatches(sel: unknown, labels: Record<string, string> | undefined): boolean {
  const ps = asObj(sel);
  if (!ps) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(asObj(ps.matchLabels) ?? {})) if (l[k] !== v) return false;
  for (const e of asArr(ps.matchExpressions)) {
    const r = asObj(e) ?? {};
    const k = str(r.key);
    const vals = asArr(r.values).map(String);
    const has = Object.prototype.hasOwnProperty.call(l, k);
    switch (r.operator) {
      case 'In': if (!has || !vals.includes(l[k])) return false; break;
      case 'NotIn': if (has && vals.includes(l[k])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}
