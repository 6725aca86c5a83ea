/**
 * JSON as RFC 8259 defines it, read strictly: `JSON.parse` keeps the last of
 * two equal keys (`{"auc": 0.41, "auc": 0.93}` reads 0.93) and a report can
 * carry a byte-order mark, which RFC 8259 section 8.1 says implementations
 * must not add. Both are refused here with a reason a person can read.
 */

export type Parsed = { ok: true; json: unknown } | { ok: false; reason: string };

/** Control and invisible characters in text shown to people, as \uXXXX escapes. */
export function visible(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Parses `text`; refuses a byte-order mark, invalid JSON and any object with
 * the same key twice (compared after unescaping, so `"auc"` and `"\u0061uc"`
 * are the same key), naming the key and where it is.
 */
export function parseStrictJson(text: string): Parsed {
  if (text.charCodeAt(0) === 0xfeff)
    return {
      ok: false,
      reason: 'starts with a byte-order mark (U+FEFF), which JSON does not allow (RFC 8259, section 8.1)',
    };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `is not valid JSON: ${visible((e as Error).message)}` };
  }
  const duplicate = findDuplicateKey(text);
  return duplicate
    ? {
        ok: false,
        reason: `has the key "${visible(duplicate.key)}" twice in one object (at ${duplicate.path || 'the top level'}), so its value is ambiguous`,
      }
    : { ok: true, json };
}

/**
 * Scans text that JSON.parse has accepted and returns the first key that
 * appears twice in one object, with the path of that object.
 */
function findDuplicateKey(text: string): { key: string; path: string } | undefined {
  // One frame per open object or array: the keys seen so far, and the path.
  const stack: Array<{ keys?: Set<string>; path: string; index: number; expectKey: boolean; lastKey?: string }> = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const raw = text.slice(i, j + 1);
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(raw) as string;
        if (top.keys.has(key)) return { key, path: top.path };
        top.keys.add(key);
        top.lastKey = key;
        top.expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === '{' || c === '[') {
      const parent = stack[stack.length - 1];
      const here = parent
        ? parent.keys
          ? `${parent.path}${parent.path ? '.' : ''}${parent.lastKey}`
          : `${parent.path}[${parent.index}]`
        : '';
      stack.push(
        c === '{'
          ? { keys: new Set(), path: here, index: 0, expectKey: true }
          : { path: here, index: 0, expectKey: false },
      );
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
      else if (top) top.index++;
    }
    i++;
  }
  return undefined;
}
