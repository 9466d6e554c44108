/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * lbnodectl drain, ready, maint, reload and log: the requests that
 * change the daemon, each answered by OK or FAIL.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "lbnoded.h"
#include "lbnodectl.h"
#include "names.h"

/*
 * Send a request that changes something and print its outcome: done,
 * or with -j the fields of "command" in lbnodectl(8), JSON OUTPUT.  A
 * failure goes to stderr too, through report_fail.
 */
static int
change_request(const char *command, uint32_t type, const void *data,
    size_t len, int idle_ms, const char *done,
    void (*report_fail)(const char *))
{
	struct ctl_answer	 ans;
	const char		*fail;

	memset(&ans, 0, sizeof(ans));
	ans.idle_ms = idle_ms;
	if (ctl_request(type, data, len, &ans) == -1)
		return 1;
	fail = ans.fail[0] != '\0' ? ans.fail : NULL;
	if (fail != NULL)
		report_fail(fail);
	if (ctl_json) {
		fputc('{', stdout);
		json_member_string(stdout, 1, "command", command);
		printf(",\"ok\":%s", fail == NULL ? "true" : "false");
		json_member_string(stdout, 0, "error", fail);
		printf("}\n");
	} else if (fail == NULL)
		printf("%s\n", done);
	return fail == NULL ? 0 : 1;
}

static void
warn_fail(const char *fail)
{
	warnx("%s", fail);
}

/* "file:line: message" alone on its line, as compilers do */
static void
warn_reload_fail(const char *fail)
{
	fprintf(stderr, "%s\n", fail);
	warnx("reload failed, the running configuration is kept");
}

int
cmd_admin(int argc, char **argv)
{
	struct admin_msg	 am;
	char			 done[32];
	int			 i;

	if ((i = ctl_json_opt(argc, argv)) == -1 || i != argc ||
	    admin_from_name(argv[0], &am.state) == -1)
		return ctl_usage("drain | ready | maint");
	snprintf(done, sizeof(done), "admin state: %s", argv[0]);
	return change_request(argv[0], IMSG_CTL_ADMIN, &am, sizeof(am), 0,
	    done, warn_fail);
}

int
cmd_reload(int argc, char **argv)
{
	int	 i;

	if ((i = ctl_json_opt(argc, argv)) == -1 || i != argc)
		return ctl_usage("reload");
	return change_request("reload", IMSG_CTL_RELOAD, NULL, 0,
	    CTL_RELOAD_MS, "reload OK", warn_reload_fail);
}

int
cmd_log(int argc, char **argv)
{
	int	 i, verbose;

	if ((i = ctl_json_opt(argc, argv)) == -1 || argc - i != 1)
		return ctl_usage("log verbose | brief");
	if (strcmp(argv[i], "verbose") == 0)
		verbose = 1;
	else if (strcmp(argv[i], "brief") == 0)
		verbose = 0;
	else
		return ctl_usage("log verbose | brief");
	return change_request("log", IMSG_CTL_VERBOSE, &verbose,
	    sizeof(verbose), 0, verbose ? "log verbose" : "log brief",
	    warn_fail);
}
