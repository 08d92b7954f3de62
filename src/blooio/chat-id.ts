/** The chatId as one URL path segment: `,`, `+`, `@` and anything else reserved are escaped. */
export function chatIdPathSegment(chatId: string): string {
  return encodeURIComponent(chatId);
}
