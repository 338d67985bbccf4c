/** A book of the catalogue, as the API answers it (the original's JSON shape). */
export interface Book {
  id: number;
  title: string;
  author: string;
  /** Publication date, `YYYY-MM-DD` (the year alone as `YYYY-01-01` when only that is known). */
  published_at: string;
  description: string;
  /** When the book was added here, ISO 8601. */
  created_at: string;
}

/** What `POST /api/books` takes. */
export type BookInput = Pick<Book, 'title' | 'author' | 'published_at' | 'description'>;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The problem with `body` as a new book, naming the field, or `null` when it is a valid one. */
export function bookProblem(body: unknown): string | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'body must be a JSON object';
  const b = body as Record<string, unknown>;
  for (const [field, max] of [
    ['title', 300],
    ['author', 200],
    ['description', 5_000],
  ] as const) {
    const value = b[field];
    if (typeof value !== 'string') return `${field} must be a string`;
    if (field !== 'description' && value.trim() === '') return `${field} must not be empty`;
    if (value.length > max) return `${field} must be at most ${max} characters`;
  }
  const date = b.published_at;
  if (typeof date !== 'string') return 'published_at must be a date (YYYY-MM-DD)';
  const m = DATE.exec(date);
  if (m === null) return 'published_at must be a date (YYYY-MM-DD)';
  const d = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.getUTCDate() !== Number(m[3])) return 'published_at must be a real date';
  return null;
}

/** The accepted fields of a valid body (anything else is ignored). */
export function toBookInput(body: Record<string, unknown>): BookInput {
  return {
    title: (body.title as string).trim(),
    author: (body.author as string).trim(),
    published_at: body.published_at as string,
    description: body.description as string,
  };
}
