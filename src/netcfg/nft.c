/*
 * libnftables: every change is one nft_run_cmd_from_buffer() call,
 * which the library sends as one netlink batch, so the kernel applies
 * all of it or none of it.
 */
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "netcfg.h"

static struct nft_ctx	*nft;

/*
 * Made before seccomp: the context reads its symbol tables from /etc
 * when it is created.  Output and errors go to memory buffers, never to
 * our stdout.
 */
void
nft_init(void)
{
	if ((nft = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL)
		fatalx("nft_ctx_new failed");
	if (nft_ctx_buffer_output(nft) != 0 || nft_ctx_buffer_error(nft) != 0)
		fatalx("nft_ctx_buffer_output failed");
}

/* Apply text as one transaction; on failure err gets nft's first error line. */
int
nft_apply(const char *text, char *err, size_t errlen)
{
	const char	*msg;
	size_t		 len;

	int		 rc;

	if (text[0] == '\0')
		return 0;
	rc = nft_run_cmd_from_buffer(nft, text);
	(void)nft_ctx_get_output_buffer(nft);	/* reading it empties it */
	if (rc == 0)
		return 0;
	msg = nft_ctx_get_error_buffer(nft);
	if (msg == NULL || *msg == '\0')
		msg = "nft failed without a message";
	len = strcspn(msg, "\n");
	snprintf(err, errlen, "nft: %.*s", (int)len, msg);
	log_warnx("nft transaction failed: %s", msg);
	return -1;
}
