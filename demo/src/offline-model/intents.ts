// What a person asks the offline demo model, as an intent with its arguments. People say the
// same thing many ways ("delete the groceries note", "get rid of my Trip note", "what notes
// do I have?"); the rules below are tried in order, most specific first, on the message with
// politeness ("please", "can you") taken off. Pure: no DOM, no Node, no state.

export type Intent =
  | { kind: 'save_note'; title: string; content: string }
  | { kind: 'list_notes' }
  | { kind: 'search_notes'; query: string }
  | { kind: 'update_note'; title: string; content: string }
  /** "add bread to my groceries note": the note's content is read first, then updated. */
  | { kind: 'append_note'; title: string; addition: string }
  | { kind: 'delete_note'; title: string }
  /** A fact the user tells about themselves: `subject` "favorite color", or "likes". */
  | { kind: 'remember'; subject: string; value: string }
  | { kind: 'recall'; subject: string }
  | { kind: 'greet' }
  | { kind: 'thanks' }
  | { kind: 'help' }
  | { kind: 'markdown' }
  | { kind: 'unknown' }

/** The subject of "I like …" facts. */
export const LIKES = 'likes'

type Rule = [RegExp, (m: RegExpMatchArray) => Intent | undefined]

const POLITE =
  /^(?:(?:hey|hi|ok(?:ay)?|so|well|um+|please|pls|plz|now|and|also|then|just|quickly),?\s+|(?:can|could|would|will) you(?: please)?\s+|(?:i want|i'd like|i would like|i need) (?:you )?to\s+|let's\s+|go ahead and\s+|help me\s+)/i

/** "my favourite colour" → "favorite color"; subjects compare in this form. */
export function normaliseSubject(text: string): string {
  return text
    .toLowerCase()
    .replace(/\b(?:favou?rite|fave|fav)\b/g, 'favorite')
    .replace(/\bcolou?r\b/g, 'color')
    .replace(/[^a-z ]/g, ' ')
    .replace(/\b(?:again|now|then|please)\b/g, '')
    .replace(/\s+/g, ' ')
    .trim()
}

const unquote = (text: string | undefined): string =>
  (text ?? '')
    .trim()
    .replace(/^["'“‘]+|["'”’]+$/g, '')
    .replace(/[.!?]+$/, '')
    .trim()

/** "the groceries note" → "groceries"; "my Trip" → "Trip". */
const titleOf = (text: string | undefined): string =>
  unquote(unquote(text).replace(/^(?:my|the|that|this|a|an)\s+/i, '').replace(/\s+note$/i, ''))

/** A title for a note given only its content: its first words. */
export function titleFrom(content: string): string {
  const words = unquote(content)
    .replace(/^(?:that|to|about|the|a|an)\s+/i, '')
    .replace(/[^\p{L}\p{N}\s'-]/gu, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 4)
    .join(' ')
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : 'Note'
}

const save = (title: string | undefined, content: string | undefined): Intent | undefined => {
  const body = unquote(content)
  if (!body) return undefined
  return { kind: 'save_note', title: title ? titleOf(title) : titleFrom(body), content: body }
}
const withTitle = (kind: 'update_note' | 'delete_note', title: string | undefined, content?: string): Intent | undefined => {
  const name = titleOf(title)
  if (!name || /^(?:it|them|all|everything)$/i.test(name)) return undefined
  return kind === 'delete_note' ? { kind, title: name } : { kind, title: name, content: unquote(content) }
}
const search = (query: string | undefined): Intent | undefined => {
  const q = unquote(query).replace(/^(?:the|a|an|my)\s+/i, '')
  return q ? { kind: 'search_notes', query: q } : undefined
}
const remember = (subject: string, value: string | undefined): Intent | undefined => {
  const v = unquote(value)
  return v ? { kind: 'remember', subject: normaliseSubject(subject), value: v } : undefined
}

const SAVE = '(?:save|add|create|make|write|start|store|keep|take|jot|leave|put)'
const CHANGE = '(?:update|change|edit|modify|set|rewrite|replace|overwrite)'
const DELETE = '(?:delete|remove|erase|trash|drop|discard|forget|bin|scrap|get rid of|throw (?:away|out))'
const NAMED = '(?:called|named|titled)'
const SEP = '(?:\\s*[:—–=]\\s*|\\s+-\\s+|,?\\s+(?:saying|that says|to say|so (?:that )?it says|with(?: the)?(?: content| text)?:?|containing)\\s+)'
const ABOUT = '(?:about|on|for|with|mentioning|containing|regarding|related to|that (?:mention|contain)s?)'
const FAVORITE = '(?:favou?rite|fave|fav)'

const rules: Rule[] = [
  // A reminder is a note ("remember to buy milk"); "remember that …" is a fact, below.
  [/^(?:remember|remind me) to (.+)$/i, (m) => save(undefined, m[1])],

  // Adding to a note keeps what it held.
  [new RegExp(`^(?:add|append|put) (.+?) (?:to|in|into|onto) (?:my |the )?(?:note ${NAMED} )?(.+?)(?: note)?$`, 'i'), (m) =>
    /\bnotes?\b/i.test(m[0]) && !/^(?:a|an|the) (?:new )?note$/i.test(m[1] ?? '') ? appendTo(m[2], m[1]) : undefined],

  // Changing a note.
  [new RegExp(`^${CHANGE} (?:the )?(?:content|text) of (?:my |the )?(?:note )?(.+?)(?: note)? with (.+)$`, 'i'), (m) => withTitle('update_note', m[1], m[2])],
  [new RegExp(`^${CHANGE} (?:my |the )?note (?:${NAMED} )?(.+?)${SEP}(.+)$`, 'i'), (m) => withTitle('update_note', m[1], m[2])],
  [new RegExp(`^${CHANGE} (?:my |the )?note (?:${NAMED} )?(.+?) (?:to|with) (.+)$`, 'i'), (m) => withTitle('update_note', m[1], m[2])],
  [new RegExp(`^${CHANGE} (?:my |the )?(.+?) note(?:${SEP}| (?:to|with) )(.+)$`, 'i'), (m) => withTitle('update_note', m[1], m[2])],
  [/^in (?:my |the )?(.+?) note,? (?:write|put|say) (.+)$/i, (m) => withTitle('update_note', m[1], m[2])],

  // Deleting a note.
  [new RegExp(`^${DELETE} (?:my |the |that |this )?note (?:${NAMED} |about )?(.+)$`, 'i'), (m) => withTitle('delete_note', m[1])],
  [new RegExp(`^${DELETE} (?:my |the |that |this )?(.+?) note$`, 'i'), (m) => withTitle('delete_note', m[1])],

  // Saving a note: with a title, then content only (the title is made from it).
  [new RegExp(`^${SAVE} (?:a |an |the |my )?(?:new |quick )?note ${NAMED} (.+?)${SEP}(.+)$`, 'i'), (m) => save(m[1], m[2])],
  [new RegExp(`^(?:${SAVE} (?:a |an |the |my )?(?:new |quick )?|new )note ([^:—–"“]+?)(?:\\s*[:—–]\\s*|\\s+-\\s+)(.+)$`, 'i'), (m) => save(m[1], m[2])],
  [new RegExp(`^${SAVE} (?:a |an |the |my )?(?:new |quick )?note(?: down)?(?: that| saying| to say| about| of| to self)?\\s*:?\\s*(.+)$`, 'i'), (m) => save(undefined, m[1])],
  [/^(?:new )?note(?: to self)?\s*[:—–-]\s*(.+)$/i, (m) => save(undefined, m[1])],
  [/^(?:jot|write|note|put|take) (?:this |it )?down(?: that)?\s*:?\s*(.+)$/i, (m) => save(undefined, m[1])],
  [/^(?:save|put|add|store|keep|write) (.+?) (?:as a note|as note|in (?:a|my) notes?|to my notes|into my notes)$/i, (m) => save(undefined, m[1])],

  // Searching notes (before listing: "do I have notes about X?" is a search).
  [new RegExp(`^(?:search|look|check|go)(?: through| in)? (?:my |the |all )?notes? ${ABOUT} (.+)$`, 'i'), (m) => search(m[1])],
  [new RegExp(`^(?:find|search for|look for|look up|show(?: me)?|get|pull up|give me|list) (?:my |the |any |all |every )?notes? ${ABOUT} (.+)$`, 'i'), (m) => search(m[1])],
  [new RegExp(`^(?:do i have|have i got|is there|are there|have i (?:saved|written)|did i (?:save|write)) (?:any |a |some )?notes? ${ABOUT} (.+)$`, 'i'), (m) => search(m[1])],
  [/^(?:which|what) notes? (?:mention|contain|talk about|are about|say(?: anything| something)? about|include)s? (.+)$/i, (m) => search(m[1])],
  [/^(?:search(?: for)?|look up|look for|find) (.+?) in (?:my |the |all )?notes$/i, (m) => search(m[1])],
  [/^what did i (?:note|write(?: down)?|save|jot down) (?:about|on|regarding) (.+)$/i, (m) => search(m[1])],
  [/^(?:find|look for|where is|where's) (?:my |the )(.+?) note$/i, (m) => search(m[1])],

  // Listing notes.
  [/^(?:list|show|display|read|give|tell|see|view|open|get|what are|what're)\b.*\bnotes\b/i, () => ({ kind: 'list_notes' })],
  [/^(?:what|which)\b.*\bnotes\b.*\b(?:have|got|saved|there|kept)\b/i, () => ({ kind: 'list_notes' })],
  [/^(?:do i have|have i got|are there|got) any notes(?: yet| saved)?$/i, () => ({ kind: 'list_notes' })],
  [/^(?:my |all |all my |all of my )?notes$/i, () => ({ kind: 'list_notes' })],
  [/^what(?:'s| is) in (?:my|the) notes$/i, () => ({ kind: 'list_notes' })],
  [/^what (?:have i|did i) (?:saved?|written down|write down|noted(?: down)?|jotted down)(?: so far)?$/i, () => ({ kind: 'list_notes' })],

  // Recalling a fact (before telling one: "do you remember my favorite color?").
  [new RegExp(`^(?:which|what) (colou?r|food|animal|drink|song|movie|book|city|sport|\\w+) do i (?:like|love|prefer)(?: (?:the )?(?:best|most))?$`, 'i'), (m) =>
    ({ kind: 'recall', subject: normaliseSubject(`favorite ${m[1]}`) })],
  [/^what (?:do|did) i (?:say i )?(?:like|love|enjoy)$/i, () => ({ kind: 'recall', subject: LIKES })],
  [/^(?:what(?:'s| is| was| are| were)|tell me|do you (?:remember|know)|remind me(?: of)?|what did i say(?: was| is)?|say) my (.+)$/i, (m) =>
    ({ kind: 'recall', subject: normaliseSubject(m[1] ?? '') })],

  // Telling a fact.
  [new RegExp(`^(?:change|set|update) my (${FAVORITE} \\w+|[a-z]+(?: [a-z]+)?) to (.+)$`, 'i'), (m) => remember(m[1] ?? '', m[2])],
  [/^my ([a-z][a-z ]{0,30}?)(?: is|'s| are|:|=)\s+(.+)$/i, (m) => remember(m[1] ?? '', m[2])],
  [new RegExp(`^(.+?) (?:is|are) my (${FAVORITE} \\w+)$`, 'i'), (m) => remember(m[2] ?? '', m[1])],
  [/^i (?:really |also |do )?(?:like|love|enjoy|prefer|adore) (.+)$/i, (m) => remember(LIKES, m[1])],

  // Without the word "note".
  [/^(?:search(?: for)?|look up|lookup) (.+)$/i, (m) => search(m[1])],
  [new RegExp(`^${DELETE} (.+)$`, 'i'), (m) => withTitle('delete_note', m[1])],

  [/^(?:hi|hello|hey|hiya|howdy|good (?:morning|afternoon|evening)|yo)\b/i, () => ({ kind: 'greet' })],
  [/^(?:thanks|thank you|thx|cheers|great|perfect|nice|cool)\b/i, () => ({ kind: 'thanks' })],
  [/\bmarkdown\b|\bformatting\b/i, () => ({ kind: 'markdown' })],
  [/\bhelp\b|what can you do|how (?:do|does) (?:this|it|you) work|what (?:should|can) i (?:say|ask|type)/i, () => ({ kind: 'help' })],
]

function appendTo(title: string | undefined, addition: string | undefined): Intent | undefined {
  const name = titleOf(title)
  const more = unquote(addition)
  return name && more ? { kind: 'append_note', title: name, addition: more } : undefined
}

/** Takes politeness and filler off the front and punctuation off the end, repeatedly. */
export function simplify(text: string): string {
  let out = text.replace(/\s+/g, ' ').trim()
  for (let before = ''; before !== out; ) {
    before = out
    out = out.replace(POLITE, '').replace(/^[,\s]+/, '').replace(/[\s?!.]+$/, '').replace(/(?<=\S),?\s+(?:please|thanks|thank you)$/i, '')
  }
  // "remember that I like tea" tells a fact; the word "remember" is the politeness here.
  return out.replace(/^(?:remember|note|know|keep in mind|don't forget|do not forget|fyi),? (?:that )?(?=my |i |.+ is my )/i, '')
}

/** The intent of one user message. Deterministic. */
export function matchIntent(text: string): Intent {
  const simple = simplify(text)
  for (const [pattern, make] of rules) {
    const match = simple.match(pattern)
    const intent = match && make(match)
    if (intent) return intent
  }
  return { kind: 'unknown' }
}
