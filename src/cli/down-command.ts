/** `peapod down`: stops the server `peapod up` started. */
export { down as run } from './up-command.js';
