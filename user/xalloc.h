/* xalloc — allocation that does not fail, for the modules that include it:
 * memory, copies of strings, and text written piece by piece into memory.
 *
 * Running out of memory is fatal in npwatch: these abort instead of
 * returning NULL, so callers need no error path for it. Static inline, so
 * that each module keeps them file-local; not an API of any module.
 */
#ifndef NPWATCH_XALLOC_H
#define NPWATCH_XALLOC_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Zeroed room for n items; never NULL, not even for none. */
static inline void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		abort();
	return p;
}

/* p resized to n items; never NULL, not even for none. */
static inline void *xrealloc(void *p, size_t n, size_t size)
{
	void *grown;
	size_t bytes;

	if (size && n > SIZE_MAX / size)
		abort();
	bytes = n * size;
	grown = realloc(p, bytes ? bytes : 1);
	if (!grown)
		abort();
	return grown;
}

/* A copy of text; NULL for NULL. */
static inline char *xstrdup(const char *text)
{
	char *copy;

	if (!text)
		return NULL;
	copy = strdup(text);
	if (!copy)
		abort();
	return copy;
}

/* A formatted copy, as asprintf makes it; never NULL. */
__attribute__((format(printf, 1, 2))) static inline char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *text;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	return text;
}

/* A FILE writing into memory, for texts built piece by piece. */
struct membuf {
	FILE *out;
	char *text;
	size_t len;
};

static inline void membuf_open(struct membuf *m)
{
	m->text = NULL;
	m->len = 0;
	m->out = open_memstream(&m->text, &m->len);
	if (!m->out)
		abort();
}

/* Ends the writing; the text is the caller's to free. */
static inline char *membuf_close(struct membuf *m)
{
	if (fclose(m->out) != 0)
		abort();
	return m->text;
}

#endif
