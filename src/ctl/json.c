/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * lbnodectl's JSON output, for -j: string literals and members, figures
 * kept times 100, and the load members every object names alike.  The
 * rest of our JSON is numbers and fixed names, written with printf;
 * strings are where output can go wrong.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lbnodectl.h"

/*
 * The length of the well-formed UTF-8 sequence at s, or 0: no overlong
 * forms, no surrogates, nothing past U+10FFFF (RFC 3629).
 */
static size_t
utf8_len(const unsigned char *s)
{
	size_t		 n, i;
	unsigned int	 cp, min;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2; cp = s[0] & 0x1f; min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3; cp = s[0] & 0x0f; min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4; cp = s[0] & 0x07; min = 0x10000;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		/* The NUL terminator fails this test, so we stop in time. */
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void
json_string(FILE *f, const char *str)
{
	const unsigned char	*s = (const unsigned char *)str;
	const char		*esc;
	size_t			 n;

	fputc('"', f);
	while (*s != '\0') {
		esc = NULL;
		switch (*s) {
		case '"':	esc = "\\\""; break;
		case '\\':	esc = "\\\\"; break;
		case '\b':	esc = "\\b"; break;
		case '\f':	esc = "\\f"; break;
		case '\n':	esc = "\\n"; break;
		case '\r':	esc = "\\r"; break;
		case '\t':	esc = "\\t"; break;
		}
		if (esc != NULL) {
			fputs(esc, f);
			s++;
		} else if (*s < 0x20) {
			fprintf(f, "\\u%04x", *s);
			s++;
		} else if ((n = utf8_len(s)) == 0) {
			fputs("\\ufffd", f);
			s++;
		} else {
			fwrite(s, 1, n, f);
			s += n;
		}
	}
	fputc('"', f);
}

void
json_member_string(FILE *f, int first, const char *name, const char *s)
{
	fprintf(f, "%s\"%s\":", first ? "" : ",", name);
	if (s == NULL)
		fputs("null", f);
	else
		json_string(f, s);
}

/* Valid text and valid JSON alike. */
void
print_x100(FILE *f, uint32_t v)
{
	fprintf(f, "%u.%02u", v / 100, v % 100);
}

/* ,"cpu_busy_pct":..,"loadavg_per_cpu":..,"memory_used_pct":.. */
void
json_load(FILE *f, uint32_t busy_x100, uint32_t loadavg_x100,
    uint32_t mem_used_x100)
{
	fprintf(f, ",\"cpu_busy_pct\":");
	print_x100(f, busy_x100);
	fprintf(f, ",\"loadavg_per_cpu\":");
	print_x100(f, loadavg_x100);
	fprintf(f, ",\"memory_used_pct\":");
	print_x100(f, mem_used_x100);
}
