/*
 * The admin state survives restarts, so a node drained for maintenance
 * does not come back as ready just because the daemon or the machine
 * restarted.  The file holds one word: ready, drain or maint.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "monitor.h"
#include "names.h"

uint32_t
state_load(const char *path)
{
	char		 word[16];
	FILE		*fp;
	uint32_t	 s;

	if ((fp = fopen(path, "re")) == NULL) {
		if (errno != ENOENT)
			log_warn("state file %s", path);
		return ADMIN_READY;
	}
	if (fscanf(fp, "%15s", word) == 1 && admin_from_name(word, &s) == 0) {
		fclose(fp);
		return s;
	}
	fclose(fp);
	log_warnx("state file %s: not ready, drain or maint; using ready",
	    path);
	return ADMIN_READY;
}

/* Write a new file and rename it over the old: never half a state. */
void
state_save(const char *path, uint32_t state)
{
	char	 tmp[PATH_MAX_LEN + 8];
	FILE	*fp;
	int	 fd;

	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp)) {
		log_warnx("state file %s: path too long", path);
		return;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		log_warn("state file %s", tmp);
		if (fd != -1)
			close(fd);
		return;
	}
	if (fprintf(fp, "%s\n", admin_name(state)) < 0 || fflush(fp) == EOF ||
	    fsync(fd) == -1) {
		log_warn("state file %s", tmp);
		fclose(fp);
		unlink(tmp);
		return;
	}
	if (fclose(fp) == EOF || rename(tmp, path) == -1) {
		log_warn("state file %s", path);
		unlink(tmp);
	}
}
