// Times of messages and dates of conversations, as a person reads them: "14:03" today,
// "Yesterday", a weekday within the week, else a date.

const DAY = 24 * 60 * 60 * 1000

const startOfDay = (ms: number): number => new Date(ms).setHours(0, 0, 0, 0)

const clock = (ms: number): string => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })

/** A message's time: "14:03" today, "12 Mar, 14:03" before. */
export function messageTime(ms: number, now = Date.now()): string {
  if (startOfDay(ms) === startOfDay(now)) return clock(ms)
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear()
  const date = new Date(ms).toLocaleDateString([], { day: 'numeric', month: 'short', ...(!sameYear && { year: 'numeric' }) })
  return `${date}, ${clock(ms)}`
}

/** A conversation's date in the chat list. */
export function chatDate(ms: number, now = Date.now()): string {
  const days = Math.round((startOfDay(now) - startOfDay(ms)) / DAY)
  if (days <= 0) return clock(ms)
  if (days === 1) return 'Yesterday'
  if (days < 7) return new Date(ms).toLocaleDateString([], { weekday: 'short' })
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear()
  return new Date(ms).toLocaleDateString([], { day: 'numeric', month: 'short', ...(!sameYear && { year: 'numeric' }) })
}

/** A `<time>` element: the short label, the full date and time as its tooltip. */
export function timeElement(ms: number, label: string): HTMLTimeElement {
  const element = document.createElement('time')
  element.dateTime = new Date(ms).toISOString()
  element.title = new Date(ms).toLocaleString()
  element.textContent = label
  return element
}
