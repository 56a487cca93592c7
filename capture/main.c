/*
 * main.c: podflow-capture's command line.  (Placeholder until the capture
 * issue lands: prints its version and says it cannot capture yet.)
 */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/compat.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("podflow-capture %s\n", PODFLOW_VERSION);
        return 0;
    }
    fprintf(stderr, "podflow-capture: capturing is not implemented yet\n");
    return EXIT_BAD;
}
