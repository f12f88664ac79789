/* textbuf — bounded text: appends to a fixed buffer without allocating.
 *
 * The engine writes its explanations while judging, where nothing may
 * allocate; text that does not fit is cut and ends in "...".
 */
#ifndef NPWATCH_TEXTBUF_H
#define NPWATCH_TEXTBUF_H

#include <stddef.h>

struct np_text {
	char *buf;
	size_t len;
	size_t used;
};

void np_text_init(struct np_text *t, char *buf, size_t len);
void np_text_add(struct np_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
