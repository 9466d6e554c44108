# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# awk -f commands.awk pass=1 FILES... pass=2 FILES...: the commands
# the shell scripts FILES run, one a line.  A command is the first word
# of a simple command, in $(...) and `...` too, and in the string that
# sh -c or socat's SYSTEM: runs; and the command a wrapper runs in turn:
# ip netns exec NS CMD, timeout N CMD, env, setpriv, xargs..., and the
# scripts' own functions that run "$@" (check NAME CMD, wait_for N CMD).
# A for loop's words count when its body asks command -v for each.
# Here-documents and comments are skipped.  The first pass finds the
# scripts' functions, which are not printed.  A word printed need not
# name a program (a check's name, say): whoever reads the list resolves
# the names.

function wrapper(w) {
	return w ~ /^(timeout|env|setpriv|nsenter|chroot|xargs|nice|ionice|taskset|unshare|setsid|stdbuf|exec|command|time|sudo)$/ ||
	    (w in runs_args)
}

# emit SIMPLE-COMMAND: print its command and what its wrappers run.
# A quoted word reaches here as '"' and its text without blanks.
function emit(seg,    n, i, w, words, first) {
	n = split(seg, words, /[ \t\n]+/)
	first = 1
	for (i = 1; i <= n; i++) {
		w = words[i]
		if (w == "" || w ~ /^(if|then|else|elif|do|while|until|!)$/)
			continue
		if (w == "for" && words[i + 2] == "in") {
			loopvar = words[i + 1]
			loopwords = ""
			for (i += 3; i <= n; i++)
				loopwords = loopwords " " words[i]
			return
		}
		if (w == "command" && words[i + 1] == "-v") {
			w = words[i + 2]
			if (w == "\"$" loopvar || w == "\"${" loopvar "}")
				w = loopwords
			printnames(w)
			return
		}
		if (w ~ /^(case|in|esac|done|fi)$/)
			return
		if (w ~ /^[A-Za-z_][A-Za-z0-9_]*=/)
			continue
		if (!first && (w ~ /^-/ || w ~ /^[0-9.]+[smhd]?$/ || w ~ /[$\/"=:,]/))
			continue
		if (w == "ip" && words[i + 1] == "netns" && words[i + 2] == "exec") {
			i += 3		# and the namespace
			first = 0
			continue
		}
		printnames(w)
		if (!wrapper(w))
			return
		first = 0
	}
}

# printnames WORDS: each word that may name a program (not a function)
function printnames(ws,    n, i, a) {
	n = split(ws, a, /[ \t\n]+/)
	for (i = 1; i <= n; i++)
		if (a[i] ~ /^[a-z][a-zA-Z0-9_.+-]*$/ && !(a[i] in funcs))
			print a[i]
}

# squeeze TEXT: without its blanks, to stay one word
function squeeze(t) {
	gsub(/[ \t\n]+/, "", t)
	return t
}

# runs_string TEXT: the quoted word that follows TEXT is shell code, as
# in sh -c "..." and socat's SYSTEM:"..."
function runs_string(t) {
	return t ~ /(^|[ \t\n])(sh|bash|dash)[ \t\n]+-c[ \t\n]*$/ || t ~ /SYSTEM:$/
}

# quote_ended: the quoted word at DEPTH is over; the text goes on as
# before it.  The strings that sh -c and SYSTEM: run are read too.
function quote_ended(seg, mode, outer, buf, depth,    before) {
	mode[depth] = outer[depth]
	before = seg[depth]
	seg[depth] = seg[depth] "\"" squeeze(buf[depth])
	if (runs_string(before))
		commands(buf[depth])
}

# commands TEXT: split shell TEXT into simple commands and emit each.
function commands(text,    len, c, i, n, depth, seg, mode, buf, outer, paren, prev) {
	len = length(text)
	depth = 0		# nesting of $( and `
	mode[0] = "sh"		# sh, dq (double quotes), sq (single)
	seg[0] = ""
	for (i = 1; i <= len; i++) {
		c = substr(text, i, 1)
		if (mode[depth] == "sq") {
			if (c == "'")
				quote_ended(seg, mode, outer, buf, depth)
			else
				buf[depth] = buf[depth] c
			continue
		}
		if (c == "\\") {
			i++
			if (mode[depth] == "dq")
				buf[depth] = buf[depth] substr(text, i, 1)
			continue
		}
		if (c == "$" && substr(text, i + 1, 2) == "((") {
			# arithmetic: its words are variables, not commands
			n = 0
			for (i++; i <= len; i++) {
				c = substr(text, i, 1)
				if (c == "(")
					n++
				else if (c == ")" && --n == 0)
					break
			}
			if (mode[depth] == "sh" || mode[depth] ~ /^sub/)
				seg[depth] = seg[depth] "\""
			continue
		}
		if (c == "$" && substr(text, i + 1, 1) == "(" ||
		    c == "`" && mode[depth] != "sub`") {
			if (c == "$")
				i++
			depth++
			mode[depth] = c == "`" ? "sub`" : "sub"
			seg[depth] = ""
			paren[depth] = 0
			continue
		}
		if (mode[depth] == "dq") {
			if (c == "\"")
				quote_ended(seg, mode, outer, buf, depth)
			else
				buf[depth] = buf[depth] c
			continue
		}
		# unquoted: sh at the top, sub or sub` inside a substitution
		if (c == "`" || c == ")" && mode[depth] == "sub" && paren[depth] == 0) {
			emit(seg[depth])
			depth--
			seg[depth] = seg[depth] "\""
			continue
		}
		if (c == "\"" || c == "'") {
			outer[depth] = mode[depth]
			mode[depth] = c == "'" ? "sq" : "dq"
			buf[depth] = ""
			continue
		}
		prev = substr(text, i - 1, 1)
		if (c == "#" && (i == 1 || prev ~ /[ \t\n;]/)) {
			while (i <= len && substr(text, i, 1) != "\n")
				i++
			c = "\n"
		}
		if (c == "(")
			paren[depth]++
		if (c == ")" && paren[depth] > 0)
			paren[depth]--
		if (c ~ /[;|&(){}\n]/) {
			emit(seg[depth])
			seg[depth] = ""
			continue
		}
		seg[depth] = seg[depth] c
	}
	emit(seg[depth])
}

# First pass: the functions that run their arguments ("$@").
pass == 1 && /^[ \t]*[A-Za-z_][A-Za-z0-9_]*\(\)/ {
	fn = $0
	sub(/^[ \t]*/, "", fn)
	sub(/\(.*/, "", fn)
	funcs[fn] = 1
}
pass == 1 {
	if (fn != "" && index($0, "\"$@\"") && $0 !~ /^[ \t]*#/)
		runs_args[fn] = 1
	if (fn != "" && ($0 ~ /^}/ || $0 ~ /^[ \t]*[A-Za-z_][A-Za-z0-9_]*\(\).*}[ \t]*(#.*)?$/))
		fn = ""
	next
}

# Second pass: each file's text without its here-documents.
FNR == 1 && text != "" { commands(text); text = "" }
FNR == 1 { heredoc = "" }
heredoc != "" {
	line = $0
	sub(/^\t+/, "", line)
	if (line == heredoc)
		heredoc = ""
	next
}
{
	if (match($0, /<<-?[ \t]*['"]?[A-Za-z_]+/)) {
		heredoc = substr($0, RSTART, RLENGTH)
		sub(/^<<-?[ \t]*['"]?/, "", heredoc)
	}
	text = text $0 "\n"
}
END { if (text != "") commands(text) }
