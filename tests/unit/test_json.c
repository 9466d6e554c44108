/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/* json_string: what lbnodectl -j writes must parse, whatever the input. */
#include <stdio.h>
#include <stdlib.h>

#include "tap.h"
#include "lbnodectl.h"

static char *
quoted(const char *s)
{
	static char	*buf;
	size_t		 len;
	FILE		*f;

	free(buf);
	if ((f = open_memstream(&buf, &len)) == NULL)
		exit(99);
	json_string(f, s);
	fclose(f);
	return buf;
}

int
main(void)
{
	is_str(quoted(""), "\"\"", "empty string");
	is_str(quoted("192.0.2.10"), "\"192.0.2.10\"", "plain ASCII as is");
	is_str(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"", "quote and backslash");
	is_str(quoted("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"", "short escapes");
	is_str(quoted("\x01\x1f"), "\"\\u0001\\u001f\"", "other controls as \\u");
	is_str(quoted("\x7f/"), "\"\x7f/\"", "DEL and slash need nothing");
	is_str(quoted("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
	    "valid UTF-8 passes");
	is_str(quoted("a\xff" "b"), "\"a\\ufffdb\"", "invalid byte replaced");
	is_str(quoted("\xc0\xaf"), "\"\\ufffd\\ufffd\"", "overlong form replaced");
	is_str(quoted("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"",
	    "UTF-16 surrogate replaced");
	is_str(quoted("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
	    "past U+10FFFF replaced");
	is_str(quoted("x\xe2\x82"), "\"x\\ufffd\\ufffd\"",
	    "sequence cut by the end replaced");
	is_str(quoted("\xc3" "A"), "\"\\ufffdA\"", "lone lead byte, next kept");
	return done_testing();
}
