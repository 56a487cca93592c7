/*
 * main.c: podflow-analyze's command line.  (Placeholder until the analyzer
 * issue lands.)
 */
#include <stdio.h>
#include <string.h>

#include "analyze/cmd_inventory.h"
#include "common/err.h"
#include "common/compat.h"

int main(int argc, char **argv)
{
    struct diag d;

    diag_init(&d, NULL, "podflow-analyze");
    if (argc > 1 && strcmp(argv[1], "inventory") == 0)
        return cmd_inventory(argc - 1, argv + 1, &d);
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("podflow-analyze %s\n", PODFLOW_VERSION);
        return 0;
    }
    fprintf(stderr, "podflow-analyze: analysis is not implemented yet\n");
    return EXIT_BAD;
}
