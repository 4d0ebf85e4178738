#!/usr/bin/env bash
# Lint the extension's install and upgrade scripts for search_path safety.
#
#   scripts/lint-sql.sh [FILE...]     lint FILEs (default: vector_ext--*.sql)
#   scripts/lint-sql.sh --self-test   lint the real scripts, and check that
#                                     every sample in test/fuzz/lint-samples/
#                                     gives exactly the findings it marks
#
# Findings (each printed as FILE:LINE: message; exit status 1 if any):
#   - CREATE OR REPLACE, and IF NOT EXISTS, anywhere outside comments: either
#     lets CREATE EXTENSION adopt or keep an object someone else created;
#   - inside the body of a LANGUAGE sql function or procedure (quoted,
#     BEGIN ATOMIC or RETURN form), any reference that resolves through
#     search_path: a function call, a cast (::type or CAST(... AS type)), an
#     operator, or a relation after FROM / JOIN / INTO / UPDATE / TABLE that is
#     not qualified with @extschema@ or pg_catalog.  Operators must be written
#     OPERATOR(pg_catalog.=) or OPERATOR(@extschema@.<->); SQL syntax that
#     finds an operator by name (IS DISTINCT FROM, IN (...), BETWEEN, LIKE,
#     SIMILAR TO, NULLIF, CASE expr WHEN) is reported too.  Syntax that
#     resolves nothing through search_path (searched CASE, COALESCE,
#     GREATEST, LEAST, EXTRACT, ARRAY[...], EXISTS, ...), signed constants
#     and `*` in a select list or count(*) are allowed.
#
# In lint samples, a line that must be reported carries a comment
# "-- lint: expect"; every other line must not be reported.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

lint() { # lint FILE...: print findings, exit 1 if any
	perl - "$@" <<'EOPERL'
use strict;
use warnings;

my $QUAL = qr/(?:\@extschema\@|pg_catalog|"pg_catalog")/i;
my %SYNTAX = map { $_ => 1 } qw(
  array row values exists in any all some coalesce nullif greatest least cast extract
  overlay position substring trim not and or as on using filter over within return
  select where from case when then else is like ilike similar between distinct
  grouping lateral join with returning union intersect except by having limit offset
  into set begin atomic end variadic collate default interval char character varchar
  treat xmlelement xmlforest xmlconcat xmlpi xmlroot xmlparse xmlserialize xmlexists
  normalize is_normalized current_date current_time current_timestamp localtime
  localtimestamp unknown null true false);
my %FROM_SYNTAX = map { $_ => 1 } qw(extract substring trim overlay position normalize);

my $found = 0;

sub line_of { my ($text, $pos) = @_; return 1 + (substr($text, 0, $pos) =~ tr/\n//); }

sub report
{
	my ($file, $line, $msg) = @_;
	print "$file:$line: $msg\n";
	$found++;
}

# Blank out comments (and, in $strings mode, string literals and quoted
# identifiers) keeping every newline, so offsets and lines stay put.
# Returns the masked text and the list of string literals [start, end, content].
sub mask
{
	my ($text) = @_;
	my $out = '';
	my @strings;
	my $blank = sub { my $s = shift; $s =~ s/[^\n]/ /g; return $s; };
	pos($text) = 0;
	while (pos($text) < length $text)
	{
		my $i = pos($text);
		if ($text =~ /\G--[^\n]*/gc)
		{
			$out .= $blank->($&);
		}
		elsif ($text =~ /\G\/\*/gc)
		{
			my ($depth, $j) = (1, $i + 2);
			while ($j < length $text && $depth > 0)
			{
				if (substr($text, $j, 2) eq '/*') { $depth++; $j += 2; }
				elsif (substr($text, $j, 2) eq '*/') { $depth--; $j += 2; }
				else { $j++; }
			}
			$out .= $blank->(substr($text, $i, $j - $i));
			pos($text) = $j;
		}
		elsif ($text =~ /\G(\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$)/gc)
		{
			my $tag = $1;
			my $cs = $i + length $tag;
			my $ce = index($text, $tag, $cs);
			$ce = length $text if $ce < 0;
			my $end = $ce + length $tag;
			$end = length $text if $end > length $text;
			push @strings, [ $i, $end, substr($text, $cs, $ce - $cs), $cs ];
			$out .= $blank->(substr($text, $i, $end - $i));
			pos($text) = $end;
		}
		elsif (($i == 0 || substr($text, $i - 1, 1) !~ /\w/) && $text =~ /\G[Ee]'((?:''|\\.|[^'\\])*)'/gcs)
		{
			# an escape string: backslash escapes (line numbers are what matter)
			(my $content = $1) =~ s/''/'/g;
			push @strings, [ $i, pos($text), $content, $i + 2 ];
			$out .= $blank->($&);
		}
		elsif ($text =~ /\G'((?:''|[^'])*)'/gcs)
		{
			(my $content = $1) =~ s/''/'/g;
			push @strings, [ $i, pos($text), $content, $i + 1 ];
			$out .= $blank->($&);
		}
		elsif ($text =~ /\G"(?:""|[^"])*"/gcs)
		{
			# a quoted identifier: kept, it is a name
			$out .= $&;
		}
		else
		{
			$text =~ /\G(.)/gcs;
			$out .= $1;
		}
	}
	return ($out, \@strings);
}

# The findings in the body of a SQL function; $base is the body's offset in
# the file text, for line numbers.
sub lint_body
{
	my ($file, $text, $body, $base) = @_;
	my ($m) = mask($body);
	my $line = sub { return line_of($text, $base + $_[0]); };

	# qualified operators and @extschema@ cannot be mistaken for anything else
	$m =~ s{(OPERATOR\s*\(\s*$QUAL\s*\.\s*)([^\s\w()]+)(\s*\))}{$1 . ('O' x length $2) . $3}gie;
	$m =~ s{\@extschema\@}{'X' x 11}gie;

	for my $kw ([ qr/\bCREATE\s+OR\s+REPLACE\b/i, 'CREATE OR REPLACE' ], [ qr/\bIF\s+NOT\s+EXISTS\b/i, 'IF NOT EXISTS' ])
	{
		while ($m =~ /$kw->[0]/g) { report($file, $line->($-[0]), "$kw->[1] in a SQL function body"); }
	}

	my $NAME = qr/(?:"(?:""|[^"])*"|[A-Za-z_][A-Za-z_0-9\$]*)/;
	my $QX = qr/(?:XXXXXXXXXXX|pg_catalog|"pg_catalog")/i;

	# function calls
	while ($m =~ /(?<![\w.\$])((?:$NAME)\s*\.\s*)?($NAME)\s*\(/g)
	{
		my ($qual, $name, $at) = ($1, $2, $-[0]);
		next if defined $qual && $qual =~ /\A$QX\s*\.\s*\z/;
		next if !defined $qual && $SYNTAX{ lc $name };
		next if $name =~ /\AO+\z/ || $name =~ /\AOPERATOR\z/i;
		report($file, $line->($at), "unqualified function call $name(...) in a SQL function body");
	}
	# casts with ::
	while ($m =~ /::\s*((?:$NAME)\s*\.\s*)?($NAME)/g)
	{
		my ($qual, $name, $at) = ($1, $2, $-[0]);
		next if defined $qual && $qual =~ /\A$QX\s*\.\s*\z/;
		report($file, $line->($at), "unqualified type in cast ::$name in a SQL function body");
	}
	# CAST(expr AS type): the last top-level AS inside the parentheses
	while ($m =~ /\bCAST\s*\(/gi)
	{
		my $start = $+[0];
		my ($depth, $j, $as) = (1, $start, undef);
		while ($j < length $m && $depth > 0)
		{
			my $c = substr($m, $j, 1);
			$depth++ if $c eq '(';
			$depth-- if $c eq ')';
			$as = $j if $depth == 1 && substr($m, $j) =~ /\A\bAS\b/i && substr($m, $j - 1, 1) =~ /\W/;
			$j++;
		}
		next unless defined $as;
		if (substr($m, $as + 2) =~ /\A\s*((?:$NAME)\s*\.\s*)?($NAME)/)
		{
			my ($qual, $name) = ($1, $2);
			report($file, $line->($as), "unqualified type in CAST(... AS $name) in a SQL function body")
			  unless defined $qual && $qual =~ /\A$QX\s*\.\s*\z/;
		}
	}
	# relations
	while ($m =~ /\b(FROM|JOIN|INTO|UPDATE|TABLE)\s+((?:$NAME)\s*\.\s*)?($NAME)(\s*\(?)/gi)
	{
		my ($kw, $qual, $name, $paren, $at) = ($1, $2, $3, $4, $-[1]);
		next if $paren =~ /\(/;    # a function in FROM: checked as a call
		next if defined $qual && $qual =~ /\A$QX\s*\.\s*\z/;
		next if $SYNTAX{ lc $name } && !defined $qual;    # FROM (SELECT ...), LATERAL, ...
		my $before = substr($m, 0, $at);
		next if $kw =~ /FROM/i && $before =~ /\bDISTINCT\s*\z/i;    # IS DISTINCT FROM
		# FROM inside EXTRACT(... FROM ...), SUBSTRING(... FROM ...), ...
		my ($depth, $k, $opener) = (0, length($before) - 1, undef);
		while ($k >= 0)
		{
			my $c = substr($before, $k, 1);
			if ($c eq ')') { $depth++; }
			elsif ($c eq '(')
			{
				if ($depth == 0) { ($opener) = substr($before, 0, $k) =~ /(\w+)\s*\z/; last; }
				$depth--;
			}
			$k--;
		}
		next if $kw =~ /FROM/i && defined $opener && $FROM_SYNTAX{ lc $opener };
		report($file, $line->($at), "unqualified relation after \U$kw\E: $name in a SQL function body");
	}
	# SQL syntax that looks an operator up through search_path
	while ($m =~ /\b(IS\s+(?:NOT\s+)?DISTINCT\s+FROM|(?:NOT\s+)?IN\s*\(|BETWEEN|(?:NOT\s+)?I?LIKE|SIMILAR\s+TO|NULLIF\s*\(|CASE\s+(?!WHEN\b)\S)/gi)
	{
		my $at = $-[0];
		(my $what = uc $1) =~ s/\s*\(?\z//;
		$what =~ s/\s+\S\z// if $what =~ /^CASE/;
		$what = 'CASE expr WHEN' if $what eq 'CASE';
		report($file, $line->($at), "$what looks up an operator through search_path in a SQL function body");
	}
	# operators
	while ($m =~ /[-+*\/<>=~!@#%^&|`?]+/g)
	{
		my ($op, $at, $end) = ($&, $-[0], $+[0]);
		my $before = substr($m, 0, $at);
		my $after = substr($m, $end);
		next if $op eq '*' && ($before =~ /(?:[(,.]|\bSELECT|\bDISTINCT)\s*\z/i);    # *, count(*), t.*
		next if $op eq '=>';                                                        # named argument
		next if ($op eq '-' || $op eq '+')
		  && $after =~ /\A\d/
		  && $before =~ /(?:[(,\[]|\b(?:SELECT|RETURN|WHEN|THEN|ELSE|AND|OR|NOT|IN|VALUES|BETWEEN)|OPERATOR\s*\([^()]*\))\s*\z/i;    # a signed constant
		report($file, $line->($at), "unqualified operator $op in a SQL function body (write OPERATOR(pg_catalog.$op))");
	}
}

for my $file (@ARGV)
{
	open(my $fh, '<', $file) or die "$file: $!";
	my $text = do { local $/; <$fh> };
	close $fh;
	my ($m, $strings) = mask($text);

	for my $kw ([ qr/\bCREATE\s+OR\s+REPLACE\b/i, 'CREATE OR REPLACE' ], [ qr/\bIF\s+NOT\s+EXISTS\b/i, 'IF NOT EXISTS' ])
	{
		while ($m =~ /$kw->[0]/g) { report($file, line_of($text, $-[0]), "$kw->[1] is not allowed in an extension script"); }
	}

	# statements: split at ';' outside strings, comments and BEGIN ATOMIC bodies
	my @stmts;
	my ($start, $depth) = (0, 0);
	while ($m =~ /(\bBEGIN\s+ATOMIC\b|\bCASE\b|\bEND\b|;)/gi)
	{
		my $tok = uc $1;
		if ($tok =~ /^BEGIN/) { $depth++; }
		elsif ($tok eq 'CASE' && $depth > 0) { $depth++; }
		elsif ($tok eq 'END' && $depth > 0) { $depth--; }
		elsif ($tok eq ';' && $depth == 0)
		{
			push @stmts, [ $start, $+[0] ];
			$start = $+[0];
		}
	}
	push @stmts, [ $start, length $m ] if $start < length $m;

	for my $st (@stmts)
	{
		my ($s, $e) = @$st;
		my $sm = substr($m, $s, $e - $s);
		next unless $sm =~ /\A\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\b/i;
		my $lang;
		if ($sm =~ /\bLANGUAGE\s+(\w+)/i) { $lang = lc $1; }
		else
		{
			# LANGUAGE 'sql' (a string, masked): find it among the strings
			for my $str (@$strings)
			{
				next unless $str->[0] >= $s && $str->[1] <= $e;
				$lang = lc $str->[2] if substr($m, $s, $str->[0] - $s) =~ /\bLANGUAGE\s*\z/i;
			}
		}
		# SQL-standard bodies are SQL whatever LANGUAGE says (it must be sql)
		if ($sm =~ /\bBEGIN\s+ATOMIC\b/gi)
		{
			my $bs = $s + $-[0];
			lint_body($file, $text, substr($text, $bs, $e - $bs), $bs);
			next;
		}
		if ($sm =~ /\)\s*(?:RETURNS\s+.*?)?\bRETURN\b/sig && (!defined $lang || $lang eq 'sql'))
		{
			my $bs = $s + $+[0];
			lint_body($file, $text, substr($text, $bs, $e - $bs), $bs);
			next;
		}
		next unless defined $lang && $lang eq 'sql';
		for my $str (@$strings)
		{
			next unless $str->[0] >= $s && $str->[1] <= $e;
			next unless substr($m, $s, $str->[0] - $s) =~ /\bAS\s*\z/i;
			lint_body($file, $text, $str->[2], $str->[3]);
		}
	}
}
exit($found ? 1 : 0);
EOPERL
}

self_test() {
	local failed=0 f out want got
	echo "lint of the extension scripts:"
	lint "$REPO"/vector_ext--*.sql || failed=1
	for f in "$REPO"/test/fuzz/lint-samples/*.sql; do
		out=$(lint "$f")
		want=$(grep -n -- '-- lint: expect' "$f" | cut -d: -f1 | sort -n | uniq | tr '\n' ' ')
		got=$(printf '%s\n' "$out" | grep -o "^$f:[0-9]*" | cut -d: -f2 | sort -n | uniq | tr '\n' ' ')
		if [ "$want" = "$got" ]; then
			echo "ok: $(basename "$f") reports lines [ ${got}]"
		else
			echo "FAIL: $(basename "$f"): expected findings on lines [ ${want}], got [ ${got}]"
			printf '%s\n' "$out"
			failed=1
		fi
	done
	return $failed
}

if [ "${1:-}" = "--self-test" ]; then
	self_test
	exit $?
fi
if [ $# -eq 0 ]; then
	set -- "$REPO"/vector_ext--*.sql
fi
lint "$@"
