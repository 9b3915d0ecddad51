/*
 * mynahoken.h: declarations shared by the fmgr layer (the .c files of src).
 */
#ifndef MYNAHOKEN_H
#define MYNAHOKEN_H

extern void _PG_init(void);

#endif
