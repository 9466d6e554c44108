int reporter_main(int, char **); int reporter_main(int c, char **v) { (void)c; (void)v; return 0; }
