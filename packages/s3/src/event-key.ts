/**
 * How an object key is written in an event's `s3.object.key`, in both modes: URL-encoded as in
 * the S3 event-notification format that the OBS trigger's event follows (space as `+`, `/`
 * kept), so a function that decodes the key as written for those triggers
 * (`unquote_plus`, `decodeURIComponent(k.replace(/\+/g, " "))`) gets the object's real key,
 * whichever way the connector found the object. Record attributes and actions use the raw key.
 */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, "+").replace(/%2F/gi, "/");
}

/** Notification keys are URL-encoded with `+` for space (as in HTML forms). */
export function decodeEventKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, " "));
  } catch {
    return key;
  }
}
