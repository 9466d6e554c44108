/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * A key file holds the key in hexadecimal, e.g. from
 * "openssl rand -hex 32", so that it survives copy and paste between
 * the node and the LB.  White space is ignored.  The file must not be
 * readable by others: a key anyone can read authenticates nobody.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "key.h"
#include "log.h"

#define KEY_FILE_MAX	1024

/* -1: why says what is wrong with the file, naming it. */
int
key_load(const char *path, struct key_msg *key, char *why, size_t whylen)
{
	char		 text[KEY_FILE_MAX + 1];
	struct stat	 st;
	size_t		 binlen;
	ssize_t		 n;
	int		 fd, rc = -1;

	memset(key, 0, sizeof(*key));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(why, whylen, "key file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || (n = read(fd, text, KEY_FILE_MAX)) == -1) {
		snprintf(why, whylen, "key file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	text[n] = '\0';
	if (st.st_mode & S_IROTH)
		snprintf(why, whylen, "key file %s is readable by others", path);
	else if (sodium_hex2bin(key->key, sizeof(key->key), text, (size_t)n,
	    " \t\r\n", &binlen, NULL) != 0 || binlen < KEY_MIN_LEN)
		snprintf(why, whylen, "key file %s: want %d to %d bytes in "
		    "hexadecimal", path, KEY_MIN_LEN, KEY_MAX_LEN);
	else {
		key->len = (uint32_t)binlen;
		rc = 0;
	}
	sodium_memzero(text, sizeof(text));
	if (rc == -1)
		sodium_memzero(key, sizeof(*key));
	return rc;
}

int
key_read(const char *path, struct key_msg *key)
{
	char	 why[PATH_MAX_LEN + 64];

	if (key_load(path, key, why, sizeof(why)) == -1) {
		log_warnx("%s", why);
		return -1;
	}
	return 0;
}
