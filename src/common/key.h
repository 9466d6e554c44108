/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/* The shared HMAC key, read by the monitor and by lbnodectl -k. */
#ifndef KEY_H
#define KEY_H

#include "lbnoded.h"

int	 key_load(const char *, struct key_msg *, char *, size_t);
int	 key_read(const char *, struct key_msg *);	/* logs why not */

#endif /* KEY_H */
