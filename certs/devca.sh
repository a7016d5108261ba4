#!/bin/sh
# certs/devca.sh -- Qujat development certificate authority.
#
#   sh certs/devca.sh OUTDIR PEOPLE.tsv        (the Makefile: certs/dev tools/demo-people.tsv)
#
# Builds a throw-away two-level RSA PKI whose end-entity certificates are
# shaped like NCA RK (National Certification Authority of Kazakhstan) signing
# certificates, plus the server's seal and TLS certificates and a set of
# negative-test vectors.  Layout and rationale: certs/README.md.
#
# POSIX sh (dash), non-interactive, uses only the openssl CLI (OpenSSL 3.0)
# plus POSIX utilities.  OUTDIR is wiped and recreated on every run; it must
# not exist, be empty, or be an earlier output of this script (marker .devca).
# Nothing here is secret: every private key is unencrypted dev material.

set -euf            # -f: no globbing (names are split into words below)
umask 022
LC_ALL=C            # sed below works on UTF-8 bytes, whatever the CI locale
export LC_ALL

die() { printf 'devca: %s\n' "$*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: sh certs/devca.sh OUTDIR PEOPLE.tsv"
OUT=$1
PEOPLE=$2
[ -r "$PEOPLE" ] || die "cannot read people file $PEOPLE"
command -v openssl >/dev/null 2>&1 || die "openssl not found"
case $OUT in ''|/|.|..|*/..|*/.) die "refusing to use '$OUT' as output directory" ;; esac

# --- fixed parameters ------------------------------------------------------

PASSWORD=qujat-demo
UNIV_NAME='Qujat Demo Medical University'
UNIV_BIN=990440010005
CA_START=20240101000000Z          # root and intermediate
CA_END=20451231235959Z
EE_START=20250101000000Z          # every end-entity certificate
EE_END=20301231235959Z
CRL_NEXT=20301231235959Z
REVOKED_AT=250101000000Z          # revocation date written for vectors/revoked-rsa
STALE_LAST=20250501000000Z        # vectors/stale/intermediate.crl.pem
STALE_NEXT=20250601000000Z
CRL_BASE=http://crl.qujat.invalid
AIA_BASE=http://ca.qujat.invalid
CPS_URL=http://ca.qujat.invalid/cps
ROOT_SUBJ="/C=KZ/O=$UNIV_NAME/CN=Qujat Demo Root CA"
INT_SUBJ="/C=KZ/O=$UNIV_NAME/CN=Qujat Demo Issuing CA (RSA)"

# "now - 1 day" for the current CRLs' lastUpdate (GNU date, then BSD date).
YESTERDAY=$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ 2>/dev/null ||
            date -u -v-1d +%Y%m%d%H%M%SZ 2>/dev/null) ||
    die "cannot compute yesterday's date with date(1)"

# organisation name for a BIN (column 7 of the people file)
org_name() {
    case $1 in
        990440010005) printf '%s' "$UNIV_NAME" ;;
        010340010009) printf '%s' 'Алматы қаласының денсаулық сақтау басқармасы' ;;
        *) die "unknown organisation BIN $1: add it to org_name() in certs/devca.sh" ;;
    esac
}

# --- helpers ----------------------------------------------------------------

# IIN check digit (SPEC: IIN in the subject serialNumber).  Prints the
# expected 12th digit, or "x" when the 11 digits admit none.
iin_check() {
    _s=$1 _t=0 _k=1
    while [ $_k -le 11 ]; do
        _d=$(printf '%s' "$_s" | cut -c$_k)
        _t=$((_t + _d * _k)); _k=$((_k + 1))
    done
    _c=$((_t % 11))
    if [ $_c -eq 10 ]; then
        _t=0 _k=1
        while [ $_k -le 11 ]; do
            _d=$(printf '%s' "$_s" | cut -c$_k)
            _w=$((_k + 2)); [ $_w -gt 11 ] && _w=$((_w - 11))
            _t=$((_t + _d * _w)); _k=$((_k + 1))
        done
        _c=$((_t % 11))
        [ $_c -eq 10 ] && { printf x; return; }
    fi
    printf '%s' "$_c"
}

# IIN: YYMMDD, century/sex digit 1..6, 4 serial digits, check digit.
# (Day 01..31 only; the server's own validator checks the calendar date.)
iin_valid() {
    case $1 in
        [0-9][0-9][01][0-9][0-3][0-9][1-6][0-9][0-9][0-9][0-9][0-9]) ;;
        *) return 1 ;;
    esac
    case $(printf '%s' "$1" | cut -c3-4) in 0[1-9]|1[0-2]) ;; *) return 1 ;; esac
    case $(printf '%s' "$1" | cut -c5-6) in 00) return 1 ;; esac
    [ "$(iin_check "$1")" = "$(printf '%s' "$1" | cut -c12)" ]
}

# BIN: 12 digits, same check-digit algorithm as the IIN.
bin_valid() {
    case $1 in
        [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]) ;;
        *) return 1 ;;
    esac
    [ "$(iin_check "$1")" = "$(printf '%s' "$1" | cut -c12)" ]
}

# Upper case for Kazakh/Russian Cyrillic and Latin, byte-wise (LC_ALL=C), so
# it does not depend on the locale or on a multibyte-aware awk/tr.
UPPER_SED='y/abcdefghijklmnopqrstuvwxyz/ABCDEFGHIJKLMNOPQRSTUVWXYZ/
s/а/А/g;s/ә/Ә/g;s/б/Б/g;s/в/В/g;s/г/Г/g;s/ғ/Ғ/g;s/д/Д/g;s/е/Е/g;s/ё/Ё/g
s/ж/Ж/g;s/з/З/g;s/и/И/g;s/й/Й/g;s/к/К/g;s/қ/Қ/g;s/л/Л/g;s/м/М/g;s/н/Н/g
s/ң/Ң/g;s/о/О/g;s/ө/Ө/g;s/п/П/g;s/р/Р/g;s/с/С/g;s/т/Т/g;s/у/У/g;s/ұ/Ұ/g
s/ү/Ү/g;s/ф/Ф/g;s/х/Х/g;s/һ/Һ/g;s/ц/Ц/g;s/ч/Ч/g;s/ш/Ш/g;s/щ/Щ/g;s/ъ/Ъ/g
s/ы/Ы/g;s/і/І/g;s/ь/Ь/g;s/э/Э/g;s/ю/Ю/g;s/я/Я/g'
upper() { printf '%s\n' "$1" | sed "$UPPER_SED"; }

# escape a value for openssl -subj
esc() { printf '%s\n' "$1" | sed 's/[\\/]/\\&/g'; }

# NCA RK individual-style subject from name_kk ("Given Patronymic Surname"):
#   CN=SURNAME GIVEN, SN=SURNAME, serialNumber=IIN<iin>, C=KZ,
#   [O=<org>, OU=BIN<bin>,] GN=PATRONYMIC
nca_subject() { # name_kk iin bin
    # shellcheck disable=SC2086  # split name_kk into words on purpose
    set -- "$1" "$2" "$3" $1
    _iin=$2 _bin=$3; shift 3
    [ $# -ge 2 ] || die "name '$*' needs at least given name and surname"
    _given=$1; shift
    _patr=
    while [ $# -gt 1 ]; do _patr="${_patr:+$_patr }$1"; shift; done
    _sur=$1
    _SUR=$(upper "$_sur"); _GIV=$(upper "$_given"); _PAT=$(upper "$_patr")
    _s="/CN=$(esc "$_SUR $_GIV")/SN=$(esc "$_SUR")/serialNumber=IIN$_iin/C=KZ"
    if [ "$_bin" != - ]; then
        _s="$_s/O=$(esc "$(org_name "$_bin")")/OU=BIN$_bin"
    fi
    [ -n "$_PAT" ] && _s="$_s/GN=$(esc "$_PAT")"
    printf '%s' "$_s"
}

LOG=
run() { # run a command, output to the log; show the log tail on failure
    if ! "$@" </dev/null >>"$LOG" 2>&1; then
        tail -n 30 "$LOG" >&2
        die "command failed: $*"
    fi
}

PIDS=
genkey() { # spec file   (spec: rsa<bits> | ec:<curve>), runs in background
    case $1 in
        rsa*) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${1#rsa}" \
                  -out "$2" </dev/null >>"$LOG.keygen" 2>&1 & ;;
        ec:*) openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:${1#ec:}" \
                  -pkeyopt ec_param_enc:named_curve -out "$2" </dev/null >>"$LOG.keygen" 2>&1 & ;;
        *) die "bad key spec $1" ;;
    esac
    PIDS="$PIDS $!"
}
waitkeys() {
    _fail=0
    for _p in $PIDS; do wait "$_p" || _fail=1; done
    PIDS=
    [ $_fail -eq 0 ] || { grep -v '^[.+*]*$' "$LOG.keygen" >&2; die "key generation failed"; }
}

# issue CA-SECTION EXTENSIONS SUBJECT KEY CERT START END [DIGEST]
issue() {
    _csr=$CA/req.$$.csr
    run openssl req -new -config "$CNF" -utf8 -key "$4" -subj "$3" -out "$_csr"
    run openssl ca -batch -config "$CNF" -name "$1" -extensions "$2" \
        -in "$_csr" -out "$5" -startdate "$6" -enddate "$7" -md "${8:-sha256}" \
        -utf8 -preserveDN -rand_serial -notext
    rm -f "$_csr"
}

# p12 KEY CERT FRIENDLYNAME OUT [extra pkcs12 options...]
p12() {
    _k=$1 _c=$2 _n=$3 _o=$4; shift 4
    run openssl pkcs12 -export -inkey "$_k" -in "$_c" -certfile "$CA/chain.pem" \
        -name "$_n" -caname 'Qujat Demo Issuing CA (RSA)' -caname 'Qujat Demo Root CA' \
        -passout "file:$OUT/users/password" -out "$_o" "$@"
}

# --- output directory -------------------------------------------------------

if [ -e "$OUT" ]; then
    [ -d "$OUT" ] || die "$OUT exists and is not a directory"
    if [ ! -e "$OUT/.devca" ] && [ -n "$(ls -A "$OUT")" ]; then
        die "$OUT is not empty and was not made by devca.sh; not wiping it"
    fi
    rm -rf "$OUT"
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
: >"$OUT/.devca"
CA=$OUT/ca
mkdir -p "$CA/root.newcerts" "$CA/intermediate.newcerts" \
         "$CA/lookalike/root.newcerts" "$CA/lookalike/intermediate.newcerts" \
         "$OUT/trust" "$OUT/chain" "$OUT/crl" "$OUT/users" "$OUT/seal" \
         "$OUT/tls" "$OUT/vectors/lookalike" "$OUT/vectors/stale"
LOG=$CA/devca.log
: >"$LOG"
for _db in "$CA/root" "$CA/intermediate" "$CA/lookalike/root" "$CA/lookalike/intermediate"; do
    : >"$_db.index.txt"
    echo 01 >"$_db.crlnumber"
    echo 01 >"$_db.serial"      # unused: every certificate gets -rand_serial
done
printf '%s' "$PASSWORD" >"$OUT/users/password"    # no trailing newline

# --- openssl configuration (kept in the output for later manual use) --------

CNF=$CA/openssl.cnf
cat >"$CNF" <<EOF
# Generated by certs/devca.sh; paths are absolute to this output directory.
# Example (issue one more certificate from the issuing CA):
#   openssl ca -config $CNF -name intermediate_ca -extensions ext_individual \\
#       -in x.csr -out x.pem -startdate $EE_START -enddate $EE_END -utf8 -preserveDN -rand_serial -notext
oid_section = nca_oids

[ nca_oids ]
# NCA RK "key user" OIDs, carried in extendedKeyUsage (see certs/README.md)
ncaIndividual        = 1.2.398.3.3.4.1.1
ncaLegalEntity       = 1.2.398.3.3.4.1.2
ncaLegalEntityHead   = 1.2.398.3.3.4.1.2.1
ncaLegalEntityEmpl   = 1.2.398.3.3.4.1.2.5

[ req ]
distinguished_name = req_dn
string_mask        = utf8only
utf8               = yes
prompt             = no

[ req_dn ]
CN = unused

[ root_ca ]
dir            = $CA
database       = \$dir/root.index.txt
new_certs_dir  = \$dir/root.newcerts
certificate    = \$dir/root.pem
private_key    = \$dir/root.key
crlnumber      = \$dir/root.crlnumber
serial         = \$dir/root.serial
default_md      = sha256
policy          = policy_any
preserve        = yes
unique_subject  = no
email_in_dn     = no
copy_extensions = none
string_mask     = utf8only
default_days    = 1
default_crl_days = 1
crl_extensions  = ext_crl

[ intermediate_ca ]
dir            = $CA
database       = \$dir/intermediate.index.txt
new_certs_dir  = \$dir/intermediate.newcerts
certificate    = \$dir/intermediate.pem
private_key    = \$dir/intermediate.key
crlnumber      = \$dir/intermediate.crlnumber
serial         = \$dir/intermediate.serial
default_md      = sha256
policy          = policy_any
preserve        = yes
unique_subject  = no
email_in_dn     = no
copy_extensions = none
string_mask     = utf8only
default_days    = 1
default_crl_days = 1
crl_extensions  = ext_crl

# the look-alike hierarchy (vectors/lookalike): same names, different keys
[ lookalike_root_ca ]
dir            = $CA/lookalike
database       = \$dir/root.index.txt
new_certs_dir  = \$dir/root.newcerts
certificate    = $OUT/vectors/lookalike/root.pem
private_key    = $OUT/vectors/lookalike/root.key
crlnumber      = \$dir/root.crlnumber
serial         = \$dir/root.serial
default_md      = sha256
policy          = policy_any
preserve        = yes
unique_subject  = no
email_in_dn     = no
copy_extensions = none
string_mask     = utf8only
default_days    = 1

[ lookalike_intermediate_ca ]
dir            = $CA/lookalike
database       = \$dir/intermediate.index.txt
new_certs_dir  = \$dir/intermediate.newcerts
certificate    = $OUT/vectors/lookalike/intermediate.pem
private_key    = $OUT/vectors/lookalike/intermediate.key
crlnumber      = \$dir/intermediate.crlnumber
serial         = \$dir/intermediate.serial
default_md      = sha256
policy          = policy_any
preserve        = yes
unique_subject  = no
email_in_dn     = no
copy_extensions = none
string_mask     = utf8only
default_days    = 1

[ policy_any ]
commonName             = supplied
surname                = optional
serialNumber           = optional
countryName            = optional
organizationName       = optional
organizationalUnitName = optional
givenName              = optional

[ ext_crl ]
authorityKeyIdentifier = keyid:always

[ ext_root ]
basicConstraints     = critical,CA:TRUE
keyUsage             = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[ ext_intermediate ]
basicConstraints       = critical,CA:TRUE,pathlen:0
keyUsage               = critical,keyCertSign,cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
certificatePolicies    = 2.5.29.32.0
crlDistributionPoints  = URI:$CRL_BASE/root.crl
authorityInfoAccess    = caIssuers;URI:$AIA_BASE/root.cer

# NCA RK individual signing certificate ("физическое лицо", ЭЦП):
# extension order and content as in NCA's own RSA test certificate.
[ ext_individual ]
keyUsage               = critical,digitalSignature,nonRepudiation
extendedKeyUsage       = emailProtection,ncaIndividual
authorityKeyIdentifier = keyid:always
subjectKeyIdentifier   = hash
certificatePolicies    = @pol_individual
crlDistributionPoints  = URI:$CRL_BASE/intermediate.crl
authorityInfoAccess    = caIssuers;URI:$AIA_BASE/intermediate.cer

# NCA RK legal-entity signing certificate, first head ("первый руководитель")
[ ext_legal_head ]
keyUsage               = critical,digitalSignature,nonRepudiation
extendedKeyUsage       = emailProtection,ncaLegalEntity,ncaLegalEntityHead
authorityKeyIdentifier = keyid:always
subjectKeyIdentifier   = hash
certificatePolicies    = @pol_legal
crlDistributionPoints  = URI:$CRL_BASE/intermediate.crl
authorityInfoAccess    = caIssuers;URI:$AIA_BASE/intermediate.cer

# NCA RK legal-entity signing certificate, employee ("сотрудник организации")
[ ext_legal_employee ]
keyUsage               = critical,digitalSignature,nonRepudiation
extendedKeyUsage       = emailProtection,ncaLegalEntity,ncaLegalEntityEmpl
authorityKeyIdentifier = keyid:always
subjectKeyIdentifier   = hash
certificatePolicies    = @pol_legal
crlDistributionPoints  = URI:$CRL_BASE/intermediate.crl
authorityInfoAccess    = caIssuers;URI:$AIA_BASE/intermediate.cer

# vectors/nokeyusage-rsa: ext_individual with the wrong keyUsage
[ ext_nokeyusage ]
keyUsage               = critical,keyEncipherment
extendedKeyUsage       = emailProtection,ncaIndividual
authorityKeyIdentifier = keyid:always
subjectKeyIdentifier   = hash
certificatePolicies    = @pol_individual
crlDistributionPoints  = URI:$CRL_BASE/intermediate.crl
authorityInfoAccess    = caIssuers;URI:$AIA_BASE/intermediate.cer

[ pol_individual ]
# 1.2.398.3.3.2.3: NCA RK policy for signing certificates of individuals
policyIdentifier = 1.2.398.3.3.2.3
CPS.1            = "$CPS_URL"
userNotice.1     = @notice

[ pol_legal ]
# 1.2.398.3.3.2.1: NCA RK policy for signing certificates of legal entities
policyIdentifier = 1.2.398.3.3.2.1
CPS.1            = "$CPS_URL"
userNotice.1     = @notice

[ notice ]
explicitText = "UTF8:$CPS_URL"

# the server's archive seal (an organisation certificate without a person)
[ ext_seal ]
keyUsage               = critical,digitalSignature,nonRepudiation
authorityKeyIdentifier = keyid:always
subjectKeyIdentifier   = hash
crlDistributionPoints  = URI:$CRL_BASE/intermediate.crl
authorityInfoAccess    = caIssuers;URI:$AIA_BASE/intermediate.cer

[ ext_tls ]
keyUsage               = critical,digitalSignature,keyEncipherment
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:localhost,IP:127.0.0.1
authorityKeyIdentifier = keyid:always
subjectKeyIdentifier   = hash
crlDistributionPoints  = URI:$CRL_BASE/intermediate.crl
authorityInfoAccess    = caIssuers;URI:$AIA_BASE/intermediate.cer
EOF

# --- read the people file ---------------------------------------------------

TAB=$(printf '\t')
PEOPLE_LIST=$CA/people.list      # login|iin|name_kk|roles|bin, validated
: >"$PEOPLE_LIST"
# shellcheck disable=SC2034  # name_ru, name_en, rest: columns not used here
while IFS=$TAB read -r login iin name_kk name_ru name_en roles bin rest || [ -n "${login:-}" ]; do
    case ${login:-} in ''|'#'*) continue ;; esac
    bin=$(printf '%s' "${bin:-}" | tr -d '\r')
    case $login in *[!a-z0-9_-]*) die "$PEOPLE: bad login '$login'" ;; esac
    iin_valid "$iin" || die "$PEOPLE: $login: '$iin' is not a valid IIN (format, date or check digit)"
    if [ "$bin" != - ]; then
        bin_valid "$bin" || die "$PEOPLE: $login: '$bin' is not a valid BIN (format or check digit)"
        org_name "$bin" >/dev/null
    fi
    # shellcheck disable=SC2086  # split name_kk into words on purpose
    set -- $name_kk
    [ $# -ge 2 ] || die "$PEOPLE: $login: name_kk '$name_kk' needs at least given name and surname"
    if grep -q "^$login|" "$PEOPLE_LIST"; then die "$PEOPLE: duplicate login $login"; fi
    printf '%s|%s|%s|%s|%s\n' "$login" "$iin" "$name_kk" "$roles" "$bin" >>"$PEOPLE_LIST"
done <"$PEOPLE"
[ -s "$PEOPLE_LIST" ] || die "$PEOPLE lists nobody"
grep -q '^applicant|' "$PEOPLE_LIST" || die "$PEOPLE has no 'applicant' (the vectors are bound to it)"

APPLICANT_LINE=$(grep '^applicant|' "$PEOPLE_LIST")
APPLICANT_IIN=$(printf '%s' "$APPLICANT_LINE" | cut -d'|' -f2)
APPLICANT_NAME=$(printf '%s' "$APPLICANT_LINE" | cut -d'|' -f3)
APPLICANT_SUBJ=$(nca_subject "$APPLICANT_NAME" "$APPLICANT_IIN" -)

# A person who is NOT in the people file, with a computed valid IIN:
# born 2000-01-01, 7th digit 5 (male, 21st century), serial 0001.
OTHER_NAME='Ержан Болатұлы Сейітов'
OTHER_IIN=00010150001$(iin_check 00010150001)
iin_valid "$OTHER_IIN" || die "internal: computed IIN $OTHER_IIN is invalid"
if cut -d'|' -f2 "$PEOPLE_LIST" | grep -qx "$OTHER_IIN"; then
    die "the 'other' IIN $OTHER_IIN is in $PEOPLE; change OTHER_IIN in devca.sh"
fi

# --- keys (generated in parallel) ------------------------------------------

V=$OUT/vectors
genkey rsa4096 "$CA/root.key"
genkey rsa3072 "$CA/intermediate.key"
genkey rsa4096 "$V/lookalike/root.key"
genkey rsa3072 "$V/lookalike/intermediate.key"
genkey rsa3072 "$OUT/seal/seal.key"
genkey rsa2048 "$OUT/tls/server.key"
while IFS='|' read -r login _rest; do
    genkey rsa2048 "$OUT/users/$login-rsa.key"
    genkey ec:P-256 "$OUT/users/$login-ec.key"
done <"$PEOPLE_LIST"
for v in revoked-rsa expired-rsa notyet-rsa nokeyusage-rsa sha1-rsa other-rsa lookalike/applicant-rsa; do
    genkey rsa2048 "$V/$v.key"
done
genkey rsa1024 "$V/rsa1024.key"
genkey ec:P-384 "$V/ec-p384.key"
genkey ec:secp256k1 "$V/ec-secp256k1.key"
waitkeys

# --- CA hierarchy -----------------------------------------------------------

_csr=$CA/root.csr
run openssl req -new -config "$CNF" -utf8 -key "$CA/root.key" -subj "$ROOT_SUBJ" -out "$_csr"
run openssl ca -batch -config "$CNF" -name root_ca -selfsign -keyfile "$CA/root.key" \
    -extensions ext_root -in "$_csr" -out "$CA/root.pem" \
    -startdate $CA_START -enddate $CA_END -utf8 -preserveDN -rand_serial -notext
rm -f "$_csr"
issue root_ca ext_intermediate "$INT_SUBJ" "$CA/intermediate.key" "$CA/intermediate.pem" $CA_START $CA_END
cat "$CA/intermediate.pem" "$CA/root.pem" >"$CA/chain.pem"
cp "$CA/root.pem" "$OUT/trust/root.pem"
cp "$CA/intermediate.pem" "$OUT/chain/intermediate.pem"

# --- people -------------------------------------------------------------------

NPEOPLE=0
while IFS='|' read -r login iin name_kk roles bin; do
    subj=$(nca_subject "$name_kk" "$iin" "$bin")
    ext=ext_individual
    if [ "$bin" != - ]; then
        # first head of the organisation (the Customer and the rector sign as
        # first heads, SPEC 2.3); anyone else with a BIN is an employee.
        case ",$roles" in
            *,customer_rep@*|*,rector@*) ext=ext_legal_head ;;
            *) ext=ext_legal_employee ;;
        esac
    fi
    for kt in rsa ec; do
        issue intermediate_ca $ext "$subj" "$OUT/users/$login-$kt.key" \
            "$OUT/users/$login-$kt.pem" $EE_START $EE_END
        p12 "$OUT/users/$login-$kt.key" "$OUT/users/$login-$kt.pem" "$login" \
            "$OUT/users/$login-$kt.p12"
    done
    # the same RSA key and chain with 3DES/SHA-1 PKCS#12 for old importers
    p12 "$OUT/users/$login-rsa.key" "$OUT/users/$login-rsa.pem" "$login" \
        "$OUT/users/$login-rsa.legacy.p12" \
        -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1
    NPEOPLE=$((NPEOPLE + 1))
done <"$PEOPLE_LIST"

# --- seal and TLS -------------------------------------------------------------

issue intermediate_ca ext_seal "/CN=Qujat Archive Seal/C=KZ/O=$(esc "$UNIV_NAME")/OU=BIN$UNIV_BIN" \
    "$OUT/seal/seal.key" "$OUT/seal/seal.pem" $EE_START $EE_END
p12 "$OUT/seal/seal.key" "$OUT/seal/seal.pem" seal "$OUT/seal/seal.p12"
issue intermediate_ca ext_tls "/C=KZ/O=$(esc "$UNIV_NAME")/CN=localhost" \
    "$OUT/tls/server.key" "$OUT/tls/server.pem" $EE_START $EE_END
cat "$OUT/tls/server.pem" "$CA/intermediate.pem" >"$OUT/tls/server-fullchain.pem"

# --- negative-test vectors (all bound to the applicant) -------------------------

issue intermediate_ca ext_individual "$APPLICANT_SUBJ" "$V/revoked-rsa.key" "$V/revoked-rsa.pem" $EE_START $EE_END
issue intermediate_ca ext_individual "$APPLICANT_SUBJ" "$V/expired-rsa.key" "$V/expired-rsa.pem" \
    20200101000000Z 20210101000000Z
issue intermediate_ca ext_individual "$APPLICANT_SUBJ" "$V/notyet-rsa.key" "$V/notyet-rsa.pem" \
    20310101000000Z 20320101000000Z
issue intermediate_ca ext_individual "$APPLICANT_SUBJ" "$V/rsa1024.key" "$V/rsa1024.pem" $EE_START $EE_END
issue intermediate_ca ext_nokeyusage "$APPLICANT_SUBJ" "$V/nokeyusage-rsa.key" "$V/nokeyusage-rsa.pem" $EE_START $EE_END
issue intermediate_ca ext_individual "$APPLICANT_SUBJ" "$V/sha1-rsa.key" "$V/sha1-rsa.pem" $EE_START $EE_END sha1
issue intermediate_ca ext_individual "$(nca_subject "$OTHER_NAME" "$OTHER_IIN" -)" \
    "$V/other-rsa.key" "$V/other-rsa.pem" $EE_START $EE_END
issue intermediate_ca ext_individual "$APPLICANT_SUBJ" "$V/ec-p384.key" "$V/ec-p384.pem" $EE_START $EE_END
issue intermediate_ca ext_individual "$APPLICANT_SUBJ" "$V/ec-secp256k1.key" "$V/ec-secp256k1.pem" $EE_START $EE_END

# look-alike hierarchy: identical names and profiles, different keys
_csr=$CA/lookalike/root.csr
run openssl req -new -config "$CNF" -utf8 -key "$V/lookalike/root.key" -subj "$ROOT_SUBJ" -out "$_csr"
run openssl ca -batch -config "$CNF" -name lookalike_root_ca -selfsign -keyfile "$V/lookalike/root.key" \
    -extensions ext_root -in "$_csr" -out "$V/lookalike/root.pem" \
    -startdate $CA_START -enddate $CA_END -utf8 -preserveDN -rand_serial -notext
rm -f "$_csr"
issue lookalike_root_ca ext_intermediate "$INT_SUBJ" "$V/lookalike/intermediate.key" \
    "$V/lookalike/intermediate.pem" $CA_START $CA_END
issue lookalike_intermediate_ca ext_individual "$APPLICANT_SUBJ" "$V/lookalike/applicant-rsa.key" \
    "$V/lookalike/applicant-rsa.pem" $EE_START $EE_END

# --- revocation and CRLs ------------------------------------------------------

run openssl ca -batch -config "$CNF" -name intermediate_ca -revoke "$V/revoked-rsa.pem" \
    -crl_reason keyCompromise
# Pin the revocation date to 2025-01-01 (the key was compromised from the
# start), so that "revoked at signing time" holds for any clock the tests use.
# revoked-rsa is the only revoked certificate, so rewrite the one "R" line.
[ "$(grep -c "^R$TAB" "$CA/intermediate.index.txt")" -eq 1 ] ||
    die "internal: expected exactly one revoked entry in intermediate.index.txt"
awk -F "$TAB" -v OFS="$TAB" -v d="$REVOKED_AT,keyCompromise" '$1 == "R" { $3 = d } { print }' \
    "$CA/intermediate.index.txt" >"$CA/intermediate.index.tmp"
mv "$CA/intermediate.index.tmp" "$CA/intermediate.index.txt"

# stale CRL first (it gets the lower CRL number), then the current ones
run openssl ca -batch -config "$CNF" -name intermediate_ca -gencrl -md sha256 \
    -crl_lastupdate $STALE_LAST -crl_nextupdate $STALE_NEXT -out "$V/stale/intermediate.crl.pem"
run openssl ca -batch -config "$CNF" -name intermediate_ca -gencrl -md sha256 \
    -crl_lastupdate "$YESTERDAY" -crl_nextupdate $CRL_NEXT -out "$OUT/crl/intermediate.crl.pem"
run openssl ca -batch -config "$CNF" -name root_ca -gencrl -md sha256 \
    -crl_lastupdate "$YESTERDAY" -crl_nextupdate $CRL_NEXT -out "$OUT/crl/root.crl.pem"

# --- self-check -------------------------------------------------------------------

vfy() { # expect(OK|error text) cert [CRL...]
    _want=$1 _cert=$2; shift 2
    _n=$#
    for _c in "$@"; do set -- "$@" -CRLfile "$_c"; done
    shift "$_n"
    _got=$(openssl verify -CAfile "$OUT/trust/root.pem" -untrusted "$OUT/chain/intermediate.pem" \
        -crl_check_all "$@" "$_cert" 2>&1) || true
    case $_got in
        *"$_want"*) ;;
        *) printf '%s\n' "$_got" >&2; die "self-check: $_cert: expected '$_want'" ;;
    esac
}
RCRL=$OUT/crl/root.crl.pem
ICRL=$OUT/crl/intermediate.crl.pem
vfy ": OK" "$OUT/users/applicant-rsa.pem" "$RCRL" "$ICRL"
vfy ": OK" "$OUT/users/applicant-ec.pem" "$RCRL" "$ICRL"
vfy ": OK" "$OUT/seal/seal.pem" "$RCRL" "$ICRL"
vfy ": OK" "$OUT/tls/server.pem" "$RCRL" "$ICRL"
vfy "certificate revoked" "$V/revoked-rsa.pem" "$RCRL" "$ICRL"
vfy "certificate has expired" "$V/expired-rsa.pem" "$RCRL" "$ICRL"
vfy "certificate is not yet valid" "$V/notyet-rsa.pem" "$RCRL" "$ICRL"
vfy "CRL has expired" "$OUT/users/applicant-rsa.pem" "$RCRL" "$V/stale/intermediate.crl.pem"
_got=$(openssl verify -CAfile "$OUT/trust/root.pem" -untrusted "$V/lookalike/intermediate.pem" \
    "$V/lookalike/applicant-rsa.pem" 2>&1) && die "self-check: look-alike chain verified: $_got"
set +f
for _f in "$OUT"/users/*.p12 "$OUT/seal/seal.p12"; do
    run openssl pkcs12 -in "$_f" -passin "file:$OUT/users/password" -noout
done
set -f

# openssl creates key and PKCS#12 files 0600.  This is public dev material;
# make it readable so that a privilege-dropping server (kore "runas") or a
# non-root test user can load it even when `make certs` ran as root.
chmod -R a+rX "$OUT"

printf 'devca: %d people, CA material in %s\n' "$NPEOPLE" "$OUT"
