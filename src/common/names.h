/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/* The one spelling of each enum in lbnoded.h, for logs, JSON and files. */
#ifndef NAMES_H
#define NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "lbnoded.h"

const char	*name_of(const char *const *, size_t, unsigned int);
#define NAME_OF(names, v)	name_of((names), nitems(names), (v))

const char	*admin_name(unsigned int);
int		 admin_from_name(const char *, uint32_t *);
const char	*mode_name(unsigned int);
const char	*encap_name(unsigned int);
const char	*proto_name(unsigned int);
const char	*origin_name(unsigned int);
const char	*drop_name(unsigned int);
const char	*proc_name(unsigned int);
const char	*signal_name(unsigned int);
const char	*procfd_name(unsigned int);

#endif /* NAMES_H */
