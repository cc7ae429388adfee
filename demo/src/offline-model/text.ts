// Reading Responses-API items as plain records, for the offline model and the chat view.

export type Item = Record<string, unknown>

export const asItem = (value: unknown): Item => (typeof value === 'object' && value !== null ? (value as Item) : {})

/** The text of a message item (string content or its text parts). */
export function itemText(value: unknown): string {
  const content = asItem(value).content
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content.map((part) => asItem(part).text).filter((t): t is string => typeof t === 'string').join('')
}
