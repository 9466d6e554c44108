%{
#include "monitor.h"
int yylex(void); void yyerror(const char *);
int yylex(void) { return 0; }
void yyerror(const char *s) { (void)s; }
%}
%%
grammar: ;
%%
