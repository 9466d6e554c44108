int monitor_main(int, char **); int monitor_main(int c, char **v) { (void)c; (void)v; return 0; }
