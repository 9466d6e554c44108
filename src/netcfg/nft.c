/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * libnftables: every change is one nft_run_cmd_from_buffer() call,
 * which the library sends as one netlink batch, so the kernel applies
 * all of it or none of it.
 *
 * Only netcfg loads libnftables (and its libraries: libnftnl, libgmp,
 * libjansson, libxtables), when it starts and before seccomp.
 */
#include <nftables/libnftables.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "dynlib.h"
#include "log.h"
#include "netcfg.h"

static struct {
	__typeof__(nft_ctx_new)			*ctx_new;
	__typeof__(nft_ctx_buffer_output)	*buffer_output;
	__typeof__(nft_ctx_buffer_error)	*buffer_error;
	__typeof__(nft_ctx_get_output_buffer)	*get_output_buffer;
	__typeof__(nft_ctx_get_error_buffer)	*get_error_buffer;
	__typeof__(nft_ctx_free)		*ctx_free;
	__typeof__(nft_run_cmd_from_buffer)	*run_cmd_from_buffer;
} nft;

static const struct dynsym nft_syms[] = {
	{ "nft_ctx_new",		(void **)&nft.ctx_new },
	{ "nft_ctx_buffer_output",	(void **)&nft.buffer_output },
	{ "nft_ctx_buffer_error",	(void **)&nft.buffer_error },
	{ "nft_ctx_get_output_buffer",	(void **)&nft.get_output_buffer },
	{ "nft_ctx_get_error_buffer",	(void **)&nft.get_error_buffer },
	{ "nft_ctx_free",		(void **)&nft.ctx_free },
	{ "nft_run_cmd_from_buffer",	(void **)&nft.run_cmd_from_buffer },
};

/*
 * The context of a burst of transactions.  It caches the tables it
 * has seen, at 512 KiB a table (four hash tables of 8192 buckets), and
 * it is freed once netcfg has been idle a while (nft_idle()).  Not
 * after each transaction: closing its netlink socket just after a
 * commit waits for the kernel to free what the commit deleted, an RCU
 * grace period of some 10 ms.
 */
static struct nft_ctx	*ctx;

/*
 * libnftables allocates blocks of 128 KiB and more for each
 * transaction.  With a fixed threshold malloc maps them apart and
 * unmaps them when they are freed, where its default would raise the
 * threshold and keep them in the heap.
 */
void
nft_init(void)
{
	if (dynlib_load(NFTABLES_SONAME, nft_syms, nitems(nft_syms)) == -1)
		fatalx("libnftables is needed to apply rules");
	if (mallopt(M_MMAP_THRESHOLD, 128 * 1024) != 1)
		fatalx("mallopt M_MMAP_THRESHOLD failed");
}

/*
 * A new context reads its symbol tables from /etc, and sends output
 * and errors to memory buffers, never to our stdout.
 */
static void
nft_open(void)
{
	if (ctx != NULL)
		return;
	if ((ctx = nft.ctx_new(NFT_CTX_DEFAULT)) == NULL)
		fatalx("nft_ctx_new failed");
	if (nft.buffer_output(ctx) != 0 || nft.buffer_error(ctx) != 0)
		fatalx("nft_ctx_buffer_output failed");
}

/* Whether a context is open, for nft_idle() to free. */
int
nft_holding(void)
{
	return ctx != NULL;
}

/* Free the context, its cache and its socket, between bursts. */
void
nft_idle(void)
{
	if (ctx == NULL)
		return;
	nft.ctx_free(ctx);
	ctx = NULL;
	(void)malloc_trim(0);
}

/* Apply text as one transaction; on failure err gets nft's first error line. */
int
nft_apply(const char *text, char *err, size_t errlen)
{
	const char	*msg;
	size_t		 len;
	int		 rc = 0;

	if (text[0] == '\0')
		return 0;
	nft_open();
	if (nft.run_cmd_from_buffer(ctx, text) != 0) {
		msg = nft.get_error_buffer(ctx);
		if (msg == NULL || *msg == '\0')
			msg = "nft failed without a message";
		len = strcspn(msg, "\n");
		snprintf(err, errlen, "nft: %.*s", (int)len, msg);
		log_warnx("nft transaction failed: %s", msg);
		rc = -1;
	}
	(void)nft.get_output_buffer(ctx);	/* reading empties it */
	(void)nft.get_error_buffer(ctx);
	return rc;
}
