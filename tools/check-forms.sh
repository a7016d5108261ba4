#!/usr/bin/env bash
# check-forms.sh: check the form schemas in forms/ and their samples in
# tests/data/forms/.  Prints one line per file and exits non-zero on any
# mismatch.  Needs only xmllint (Debian package libxml2-utils).
#
# For every forms/<type>.xsd (labels.xsd, the label vocabulary, is not linted;
# common.xsd has no samples of its own):
#   lint    the schema follows the converter rules of forms/README.md
#           (labels kk/ru/en and xs:documentation on every element, attribute
#           and enumeration value; no xs:choice/xs:all/xs:any/identity
#           constraints/mixed content; no attribute but the root's version;
#           every string bounded; dates through c:Date / c:DateTime).
# and for every tests/data/forms/<type>.*.xml, by the file name:
#   <type>.valid.xml, <type>.valid-*.xml   must pass the schema and every l:rule
#   <type>.invalid-*.xml                   must FAIL the schema (xmllint --schema)
#   <type>.rule-<id>.xml                   must pass the schema and fail l:rule <id>
# A type with no valid sample or fewer than two invalid ones is an error.
#
# l:rule elements (in the root element's xs:appinfo) hold XPath 1.0 tests that
# XSD 1.0 cannot express; they are evaluated with the root element as context,
# prefix f bound to the form's namespace and c to the common namespace.
set -u
cd "$(dirname "$0")/.." || exit 2

XS='http://www.w3.org/2001/XMLSchema'
LNS='urn:qujat:labels:1'
CNS='urn:qujat:form:common:1'
fail=0
files=0

ok()  { printf 'ok    %s\n' "$*"; files=$((files + 1)); }
bad() { printf 'FAIL  %s\n' "$*"; files=$((files + 1)); fail=1; }

xp() {	# xp FILE EXPR: string value of an XPath 1.0 expression
	xmllint --xpath "$2" "$1" 2>/dev/null
}

# Namespace-free XPath pieces (xmllint --xpath cannot bind prefixes).
xsel() { printf "*[local-name()='%s' and namespace-uri()='%s']" "$1" "$XS"; }
lsel() { printf "*[local-name()='%s' and namespace-uri()='%s']" "$1" "$LNS"; }
LABELS="$(xsel annotation)/$(xsel appinfo)/$(lsel label)"
DOCS="$(xsel annotation)/$(xsel documentation)"

# lint SCHEMA: prints the first problem found, nothing if clean.
lint() {
	local x=$1 n lang what
	local labelled="//$(xsel element) | //$(xsel attribute) | //$(xsel enumeration)"
	for lang in kk ru en; do
		n=$(xp "$x" "count(($labelled)[not($LABELS[@xml:lang='$lang' and normalize-space()])])")
		[ "$n" = 0 ] || { echo "$n element/attribute/enumeration(s) without a '$lang' label"; return; }
	done
	n=$(xp "$x" "count(($labelled | //$(xsel simpleType) | //$(xsel complexType)[@name])[not($DOCS[normalize-space()])])")
	[ "$n" = 0 ] || { echo "$n declaration(s) without xs:documentation"; return; }
	for what in choice all any anyAttribute key keyref unique group attributeGroup include redefine assert; do
		n=$(xp "$x" "count(//$(xsel $what))")
		[ "$n" = 0 ] || { echo "uses xs:$what"; return; }
	done
	n=$(xp "$x" "count(//*[@mixed='true' or @substitutionGroup or @abstract='true' or @ref or @nillable='true'])")
	[ "$n" = 0 ] || { echo "uses mixed/substitutionGroup/abstract/ref/nillable"; return; }
	n=$(xp "$x" "count(//$(xsel attribute)[@name!='version'])")
	[ "$n" = 0 ] || { echo "attribute other than the root's version"; return; }
	n=$(xp "$x" "count(//*[@type='xs:string' or @type='xs:normalizedString' or @type='xs:token' or @type='xs:anyURI' or @type='xs:date' or @type='xs:dateTime' or @type='xs:time' or @type='xs:boolean'])")
	[ "$n" = 0 ] || { echo "$n declaration(s) typed directly as xs:string/xs:date/xs:dateTime/xs:boolean... (use a bounded or common type)"; return; }
	n=$(xp "$x" "count(//$(xsel restriction)[@base='xs:string' or @base='xs:normalizedString' or @base='xs:token'][not($(xsel maxLength) or $(xsel length) or $(xsel enumeration))])")
	[ "$n" = 0 ] || { echo "$n string type(s) without maxLength"; return; }
	n=$(xp "$x" "count((//$(lsel label) | //$(lsel hint) | //$(lsel default))[not(@xml:lang='kk' or @xml:lang='ru' or @xml:lang='en')])")
	[ "$n" = 0 ] || { echo "l:label/l:hint/l:default with a language other than kk/ru/en"; return; }
	n=$(xp "$x" "count(//*[namespace-uri()='$LNS'][not(local-name()='label' or local-name()='hint' or local-name()='default' or local-name()='rule')])")
	[ "$n" = 0 ] || { echo "element outside the label vocabulary in namespace $LNS"; return; }
	for lang in kk ru en; do
		n=$(xp "$x" "count(//$(lsel rule)[not(@id and @test and @cite) or not($(lsel label)[@xml:lang='$lang'])])")
		[ "$n" = 0 ] || { echo "l:rule without id/test/cite or '$lang' message"; return; }
	done
}

# lint_form SCHEMA TYPE: checks that only apply to a form (not to common.xsd).
lint_form() {
	local x=$1 t=$2 n
	[ "$(xp "$x" "string(/*/@targetNamespace)")" = "urn:qujat:form:$t:1" ] ||
	    { echo "targetNamespace is not urn:qujat:form:$t:1"; return; }
	[ "$(xp "$x" "string(/*/@elementFormDefault)")" = qualified ] ||
	    { echo "elementFormDefault is not qualified"; return; }
	n=$(xp "$x" "count(/*/$(xsel element))")
	[ "$n" = 1 ] || { echo "$n global elements (want exactly one root)"; return; }
	n=$(xp "$x" "count(//$(xsel attribute)[@name='version'][@use='required'])")
	[ "$n" = 1 ] || { echo "root type has no required version attribute"; return; }
}

# rules_fail SCHEMA INSTANCE: prints the ids of the l:rules the instance fails.
# xmllint --xpath cannot bind prefixes (and its --shell truncates long
# expressions), so f:name and c:name are rewritten to namespace-exact
# *[local-name()=...] steps and the test becomes a predicate on the root.
rules_fail() {
	local x=$1 f=$2 tns n i id test expr out
	tns=$(xp "$x" "string(/*/@targetNamespace)")
	n=$(xp "$x" "count(//$(lsel rule))")
	for ((i = 1; i <= n; i++)); do
		id=$(xp "$x" "string((//$(lsel rule))[$i]/@id)")
		test=$(xp "$x" "string((//$(lsel rule))[$i]/@test)")
		expr=$(printf '%s' "$test" | sed -E \
		    -e "s#(^|[^A-Za-z0-9_.-])f:([A-Za-z_][A-Za-z0-9_.-]*)#\\1*[local-name()='\\2' and namespace-uri()='$tns']#g" \
		    -e "s#(^|[^A-Za-z0-9_.-])c:([A-Za-z_][A-Za-z0-9_.-]*)#\\1*[local-name()='\\2' and namespace-uri()='$CNS']#g")
		out=$(xmllint --xpath "boolean(/*[boolean($expr)])" "$f" 2>/dev/null)
		case $out in
		true) ;;
		false) printf '%s ' "$id" ;;
		*) printf '%s(error) ' "$id" ;;
		esac
	done
}

for x in forms/*.xsd; do
	t=$(basename "$x" .xsd)
	case $t in
	labels)	problem= ;;		# the vocabulary itself, not a form
	common)	problem=$(lint "$x") ;;
	*)	problem=$(lint "$x")
		[ -n "$problem" ] || problem=$(lint_form "$x" "$t") ;;
	esac
	if [ -z "$problem" ] &&
	    xmllint --noout --schema "$x" - <<<'<x/>' 2>&1 | grep -q 'failed to compile'; then
		problem="does not compile: $(xmllint --noout --schema "$x" - <<<'<x/>' 2>&1 | head -n 1)"
	fi
	if [ -n "$problem" ]; then bad "$x: $problem"; else ok "$x"; fi
	[ "$t" = common ] && continue

	nvalid=0 ninvalid=0
	for f in tests/data/forms/"$t".*.xml; do
		[ -e "$f" ] || continue
		kind=${f#tests/data/forms/$t.}
		kind=${kind%.xml}
		if err=$(xmllint --noout --schema "$x" "$f" 2>&1); then schema=pass; else schema=fail; fi
		firsterr=$(printf '%s\n' "$err" | grep -v 'validates$\|fails to validate$' | head -n 1)
		case $kind in
		valid | valid-*)
			nvalid=$((nvalid + 1))
			if [ $schema = fail ]; then bad "$f: expected valid: $firsterr"; continue; fi
			failed=$(rules_fail "$x" "$f")
			if [ -n "$failed" ]; then bad "$f: expected valid: fails rule(s) $failed"
			else ok "$f (valid)"; fi ;;
		invalid-*)
			ninvalid=$((ninvalid + 1))
			if [ $schema = pass ]; then bad "$f: expected the schema to reject it, but it validates"
			else msg=${firsterr##*validity error : }; ok "$f (rejected: ${msg:0:110})"; fi ;;
		rule-*)
			id=${kind#rule-}
			if [ $schema = fail ]; then bad "$f: expected schema-valid (rule test): $firsterr"; continue; fi
			failed=$(rules_fail "$x" "$f")
			case " $failed" in
			*" $id "*) ok "$f (rule $id fails as expected)" ;;
			*) bad "$f: expected rule $id to fail; failing rules: ${failed:-none}" ;;
			esac ;;
		*)
			bad "$f: unknown sample kind '$kind' (valid, valid-*, invalid-*, rule-*)" ;;
		esac
	done
	if [ $nvalid -lt 1 ] || [ $ninvalid -lt 2 ]; then
		bad "$x: needs >= 1 valid and >= 2 invalid samples (has $nvalid and $ninvalid)"
	fi
done

for f in tests/data/forms/*.xml; do
	[ -e "$f" ] || continue
	t=$(basename "$f"); t=${t%%.*}
	[ -e "forms/$t.xsd" ] || bad "$f: no schema forms/$t.xsd"
done

if [ $fail -ne 0 ]; then echo "check-forms: FAILED ($files files checked)"; exit 1; fi
echo "check-forms: all $files files as expected"
