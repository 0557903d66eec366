/** Text helpers for tests. */

/** `text` matched literally inside a RegExp source. */
export const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
