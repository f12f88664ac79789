/* textbuf — bounded text; see textbuf.h. */
#include "textbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void np_text_init(struct np_text *t, char *buf, size_t len)
{
	t->buf = buf;
	t->len = len;
	t->used = 0;
	if (len > 0)
		buf[0] = '\0';
}

void np_text_add(struct np_text *t, const char *fmt, ...)
{
	size_t room = t->len - t->used;
	va_list ap;
	int n;

	if (room <= 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->used, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < room) {
		t->used += (size_t)n;
		return;
	}
	t->used = t->len - 1;
	if (t->len > 4)
		memcpy(t->buf + t->len - 4, "...", 3);
}
