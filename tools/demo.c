/*
 * demo.c: the client side of `make demo` (tools/demo.sh starts the server).
 *
 *	build/demo --free-port
 *	build/demo BASE_URL VAR_DIR
 *
 * With --free-port it prints a free loopback TCP port.  Otherwise it runs
 * one complete academic-leave case against the server at BASE_URL as the
 * demo users of VAR_DIR/demo-users.txt, each signing with their own key
 * from certs/dev through the two-phase API: application with a scanned
 * certificate, submission, the dean's approval, the registrar's check, the
 * leave order with its visas and the rector's signature, the learner's
 * acknowledgment, the return application and its approval, the return
 * order.  The closed case is sealed by the server; the demo auditor
 * downloads the package into VAR_DIR and the program prints its path on
 * the last line of stdout.  Exit 0 on success.
 *
 * The steps are tests/lib/flowkit.c's, which assert with Check, so the
 * demo runs as one Check test in this process (CK_NOFORK).  Owns nothing
 * else; built by `make build/demo`.
 */
#include <netinet/in.h>
#include <sys/socket.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/flowkit.h"
#include "tests/lib/harness.h"
#include "tests/lib/http.h"
#include "tests/lib/signer.h"

static char	out_path[512];

static int
free_port(void)
{
	struct sockaddr_in	sa;
	socklen_t		len = sizeof(sa);
	int			fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return (-1);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return (port);
}

static void
say(const char *fmt, long long a, const char *b)
{
	printf("demo: ");
	printf(fmt, a, b);
	printf("\n");
	fflush(stdout);
}

START_TEST(academic_leave_to_archive)
{
	struct tclient	 app, dean, reg, aud;
	struct tresp	 r;
	int64_t		 id, order, rorder;
	char		 sha[65], extra[8192], path[128], *doc;
	FILE		*f;
	int		 i;

	kit_login_as(&app, "applicant");
	kit_login_as(&dean, "dean");
	kit_login_as(&reg, "registrar");
	id = kit_open_leave(&app, "medical", "2026-12-01", "2027-05-31");
	say("case %lld: academic leave opened by the applicant (medical "
	    "ground, DKK conclusion attached)%s", (long long)id, "");
	kit_approve_leave(&app, &dean, &reg, id);
	say("case %lld: signed by the applicant, approved by the dean, "
	    "checked by the registrar: %s", (long long)id, "awaiting-order");
	order = kit_draft_order(&reg, &id, 1);
	kit_sign_order(order);
	say("order %lld: endorsed by legal, the dean and the vice-rector, "
	    "signed by the rector, %s", (long long)order, "registered");
	kit_expect_state(&app, id, "on-leave");
	kit_fire_ok(&app, "applicant", order, "acknowledge", "");
	say("order %lld: acknowledged by the learner (%s)", (long long)order,
	    "ProofOfReceipt");
	kit_upload_pdf(&app, "health-certificate", sha);
	doc = kit_return_application(sha);
	snprintf(extra, sizeof(extra), "\"document\":%s", doc);
	free(doc);
	kit_fire_ok(&app, "applicant", id, "file-return", extra);
	kit_fire_ok(&dean, "dean", id, "approve-return", "");
	rorder = kit_draft_order(&reg, &id, 1);
	kit_sign_order(rorder);
	kit_expect_state(&app, id, "studying");
	say("return order %lld: registered; case closed: %s",
	    (long long)rorder, "studying");
	/* The server seals the closed case; the auditor downloads it. */
	kit_login_as(&aud, "auditor");
	snprintf(path, sizeof(path), "/api/archive/%lld", (long long)id);
	for (i = 0; i < 300; i++) {
		if (t_json(&aud, "GET", path, NULL, &r) == 200)
			break;
		tresp_free(&r);
		usleep(100 * 1000);
	}
	ck_assert_msg(r.status == 200, "case %lld was not sealed within 30 s",
	    (long long)id);
	say("case %lld: sealed, package SHA-256 %s", (long long)id,
	    t_str(&r, "sha256"));
	tresp_free(&r);
	snprintf(path, sizeof(path), "/api/archive/%lld/package", (long long)id);
	ck_assert_int_eq(t_json(&aud, "GET", path, NULL, &r), 200);
	snprintf(out_path, sizeof(out_path), "%s/case-%lld.zip", H.root,
	    (long long)id);
	ck_assert((f = fopen(out_path, "wb")) != NULL);
	ck_assert(fwrite(r.body, 1, r.len, f) == r.len);
	ck_assert(fclose(f) == 0);
	tresp_free(&r);
}
END_TEST

int
main(int argc, char **argv)
{
	SRunner	*sr;
	Suite	*s;
	TCase	*tc;
	int	 failed;

	if (argc == 2 && strcmp(argv[1], "--free-port") == 0) {
		printf("%d\n", free_port());
		return (0);
	}
	if (argc != 3) {
		fprintf(stderr, "usage: build/demo BASE_URL VAR_DIR | "
		    "build/demo --free-port\n");
		return (2);
	}
	snprintf(H.base, sizeof(H.base), "%s", argv[1]);
	snprintf(H.root, sizeof(H.root), "%s", argv[2]);
	s = suite_create("demo");
	tc = tcase_create("academic-leave");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, academic_leave_to_archive);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	if (failed != 0) {
		TestResult **tr = srunner_failures(sr);

		fprintf(stderr, "demo: FAILED at %s:%d: %s\n",
		    tr_lfile(tr[0]), tr_lno(tr[0]), tr_msg(tr[0]));
		free(tr);
	}
	srunner_free(sr);
	/* H.root is not a harness directory: keep harness_stop() away. */
	H.root[0] = '\0';
	if (failed != 0)
		return (1);
	printf("%s\n", out_path);
	return (0);
}
