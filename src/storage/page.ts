/** Cursor of a seq-ordered page: the last seq when the page is full (there may be more), else null. */
export function nextCursor(events: ReadonlyArray<{ seq: number }>, limit: number): number | null {
  return events.length === limit && events.length > 0 ? events[events.length - 1]!.seq : null;
}
