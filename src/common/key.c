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
#include <string.h>
#include <unistd.h>

#include "key.h"
#include "log.h"

#define KEY_FILE_MAX	1024

int
key_read(const char *path, struct key_msg *key)
{
	char		 text[KEY_FILE_MAX + 1];
	struct stat	 st;
	size_t		 binlen;
	ssize_t		 n;
	int		 fd;

	memset(key, 0, sizeof(*key));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		log_warn("key file %s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1 || (n = read(fd, text, KEY_FILE_MAX)) == -1) {
		log_warn("key file %s", path);
		close(fd);
		return -1;
	}
	close(fd);
	text[n] = '\0';
	if (st.st_mode & S_IROTH) {
		log_warnx("key file %s is readable by others", path);
		return -1;
	}
	if (sodium_hex2bin(key->key, sizeof(key->key), text, (size_t)n,
	    " \t\r\n", &binlen, NULL) != 0 || binlen < KEY_MIN_LEN) {
		log_warnx("key file %s: want %d to %d bytes in hexadecimal",
		    path, KEY_MIN_LEN, KEY_MAX_LEN);
		sodium_memzero(text, sizeof(text));
		return -1;
	}
	sodium_memzero(text, sizeof(text));
	key->len = (uint32_t)binlen;
	return 0;
}
