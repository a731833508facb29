/* Baseline for the sessions benchmark: a libnids program that only reassembles TCP
 * (both directions) and counts the bytes delivered, with checksum checks and port-scan
 * detection off, as netsift does by default. Build: see bench/CMakeLists.txt. */
#include <nids.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned long long streams, bytes;

static void on_tcp(struct tcp_stream* s, void** param) {
  (void)param;
  switch (s->nids_state) {
    case NIDS_JUST_EST:
      s->client.collect++;
      s->server.collect++;
      streams++;
      break;
    case NIDS_DATA:
      if (s->client.count_new) bytes += s->client.count_new;
      if (s->server.count_new) bytes += s->server.count_new;
      break;
    default:
      break;
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s FILE.pcap\n", argv[0]);
    return 2;
  }
  static struct nids_chksum_ctl no_checksums = {0, 0, NIDS_DONT_CHKSUM, 0};
  nids_params.filename = argv[1];
  nids_params.device = NULL;
  nids_params.scan_num_hosts = 0;
  nids_params.n_tcp_streams = 1 << 20;
  nids_params.n_hosts = 1 << 16;
  nids_params.tcp_workarounds = 1;
  if (!nids_init()) {
    fprintf(stderr, "nids_init: %s\n", nids_errbuf);
    return 1;
  }
  nids_register_chksum_ctl(&no_checksums, 1);
  nids_register_tcp(on_tcp);
  nids_run();
  fprintf(stderr, "libnids: %llu streams established, %llu bytes reassembled\n", streams, bytes);
  return 0;
}
