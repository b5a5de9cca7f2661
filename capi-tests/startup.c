/* Minimal Cortex-M4F start-up for the C test image under QEMU (linked
 * with -nostartfiles and newlib's rdimon semihosting): vector table, FPU
 * on, .bss zeroed, semihosting stdio, then exit(main()). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern int main(void);
extern void initialise_monitor_handles(void);
extern uint32_t __bss_start__, __bss_end__, __stack_top;

/* newlib's exit() runs the fini array; nothing to do here. */
void _init(void) {}
void _fini(void) {}

void Reset_Handler(void) {
    /* CPACR: full access to CP10 and CP11 (the FPU) before any float code. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm volatile("dsb\n\tisb");
    memset(&__bss_start__, 0, (size_t)((char *)&__bss_end__ - (char *)&__bss_start__));
    initialise_monitor_handles();
    exit(main());
}

/* Any fault ends the run with a failure status. */
static void Fault_Handler(void) { exit(3); }

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&__stack_top, Reset_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, Fault_Handler, Fault_Handler, 0, 0, 0, 0,
    Fault_Handler, Fault_Handler, 0, Fault_Handler, Fault_Handler,
};
