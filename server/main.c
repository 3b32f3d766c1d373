/* Temporary entry point; replaced by the foundation work. */
#include <stdio.h>
int main(void)
{
    puts("playrouter");
    return 0;
}
