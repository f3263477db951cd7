/* test_tunnel_config.c - audit cases whose tunnel comes from the VPN's own configuration (rules-import.c translates it).
 *
 * The configurations carry the lab's addresses (samples/lab/run.sh: the
 * WireGuard client's peer 203.0.113.5:51820, inside 10.66.0.2 and
 * fd00:66::2, resolver 10.66.0.1; OpenVPN 203.0.113.5 1194/udp and
 * 443/tcp, inside 10.8.0.2).  The translation itself is tested in
 * test_import.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* An audit whose cases take their tunnel from configurations
 * (tests/data/campaign/configs.xml; expectations from truth.tsv). */
Test(tunnel_config, audit_cases)
{
	const char *top = getenv("LS_TOP") ? getenv("LS_TOP") : ".";
	const char *bin = getenv("LEAKSCOPE");
	char cmd[8192], path[4096];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/tests/out/tunconf' && '%s' audit -q -o '%s/tests/out/tunconf' "
				   "'%s/tests/data/campaign/configs.xml' 2>/dev/null",
		 top, bin ? bin : "./leakscope", top, top);
	int rc = system(cmd);
	cr_assert(WIFEXITED(rc));
	cr_expect_eq(WEXITSTATUS(rc), 3, "one OpenVPN file without ifconfig cannot be judged, the rest pass");
	snprintf(path, sizeof(path), "%s/tests/out/tunconf/matrix.xml", top);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	cr_expect(strstr(buf, "passed=\"5\" failed=\"0\" undecided=\"1\""), "%s", buf);
	cr_expect(strstr(buf, "<case id=\"ovpn-tcp-any\" row=\"ovpn-tcp\" column=\"openvpn\" result=\"undecided\""));
	cr_expect(strstr(buf, "<tunnel path=\"lab-wg.conf\" source=\"config\"/>"));
	snprintf(path, sizeof(path), "%s/tests/out/tunconf/cases/wg-killswitch-any.tunnel.xml", top);
	f = fopen(path, "r");
	cr_expect_not_null(f, "the description made from the configuration is kept beside the case's reports");
	if (f)
		fclose(f);
}
