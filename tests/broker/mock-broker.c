/*
 * A Kafka-protocol broker on loopback for the test suite: librdkafka's in-memory mock cluster.
 * Prints "bootstrap=<host:port,...>" once ready, then reads commands on stdin, one per line:
 *   topic <name> <partitions>   create a topic with that many partitions
 *   down <broker-id> / up <broker-id>
 *   rtt <broker-id> <ms>
 * and answers "ok" or "error <reason>". It exits when stdin closes (its parent is gone).
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  int brokers = argc > 1 ? atoi(argv[1]) : 1;
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) { fprintf(stderr, "rd_kafka_new: %s\n", errstr); return 1; }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) { fprintf(stderr, "mock cluster could not start\n"); return 1; }
  printf("bootstrap=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);

  char line[1024], name[512];
  int a, b;
  while (fgets(line, sizeof line, stdin)) {
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (sscanf(line, "topic %511s %d", name, &a) == 2)
      err = rd_kafka_mock_topic_create(mc, name, a, 1);
    else if (sscanf(line, "down %d", &a) == 1)
      err = rd_kafka_mock_broker_set_down(mc, a);
    else if (sscanf(line, "up %d", &a) == 1)
      err = rd_kafka_mock_broker_set_up(mc, a);
    else if (sscanf(line, "rtt %d %d", &a, &b) == 2)
      err = rd_kafka_mock_broker_set_rtt(mc, a, b);
    else { printf("error unknown command\n"); fflush(stdout); continue; }
    if (err) printf("error %s\n", rd_kafka_err2str(err)); else printf("ok\n");
    fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
