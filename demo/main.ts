// Placeholder demo: the session store on its own. The chat app with the notes agent grows here.
import { IndexedDBSession, MemorySession, StorageUnavailableError, type AgentItem, type Session } from '../src/index.js'

const users = ['alice', 'bob']
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const history = $<HTMLOListElement>('history')
const status = $<HTMLParagraphElement>('status')
const select = $<HTMLSelectElement>('session')
const input = $<HTMLInputElement>('message')

select.append(...users.map((user) => new Option(user, user)))

let session: Session = new IndexedDBSession(`user_${select.value}`, { dbName: 'idb-agents-demo' })

function textOf(item: AgentItem): string {
  if ('content' in item && typeof item.content === 'string') return item.content
  return JSON.stringify(item)
}

async function render(): Promise<void> {
  try {
    const items = await session.getItems()
    history.replaceChildren(...items.map((item) => Object.assign(document.createElement('li'), { textContent: textOf(item) })))
    status.textContent = `${items.length} items in ${session.sessionId}`
  } catch (error) {
    if (error instanceof StorageUnavailableError) {
      session = new MemorySession(session.sessionId)
      status.textContent = `${error.message} Using memory for now.`
      return
    }
    status.textContent = error instanceof Error ? error.message : String(error)
  }
}

select.addEventListener('change', () => {
  session = new IndexedDBSession(`user_${select.value}`, { dbName: 'idb-agents-demo' })
  void render()
})
$<HTMLFormElement>('composer').addEventListener('submit', async (event) => {
  event.preventDefault()
  await session.addItems([{ role: 'user', content: input.value }])
  input.value = ''
  await render()
})
$<HTMLButtonElement>('pop').addEventListener('click', async () => {
  await session.popItem()
  await render()
})
$<HTMLButtonElement>('clear').addEventListener('click', async () => {
  await session.clearSession()
  await render()
})

void render()
