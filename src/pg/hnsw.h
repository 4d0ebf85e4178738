/*
 * hnsw.h: private definitions of the hnsw index access method.
 *
 * Page layout
 * -----------
 * Block 0 is the metapage (HnswMetaPageData in the page contents, pd_lower
 * set past it so that full-page images keep it).  Every other block is a
 * standard page of items with HnswPageOpaqueData in its special space.  Three
 * kinds of item:
 *
 *   element tuple   one per indexed heap row: its heap TID, level, state and
 *                   the vector (normalised for the cosine class).  A freed
 *                   element is reused in place, so its size never changes.
 *   tail tuple      the end of the vector of a split element (below).
 *   neighbour tuple one per element: fixed-size 4-byte slots (HnswSlot), 2*m
 *                   for level 0 then m per upper level.  Empty slots hold 0;
 *                   filled ones come first.  It usually shares the element's
 *                   page; a build packs pages tightly, so it may end the
 *                   previous page.
 *
 * A node of the graph is identified by its element tuple's TID, packed into
 * a 64-bit VxNodeId for the core (HnswNodeId / HnswNodeTid).  A neighbour
 * slot packs the same TID into 32 bits: (block << slotBits) | offset, where
 * slotBits is the fewest bits that hold any offset a page of this index can
 * have (HnswSlotBitsFor: its smallest item bounds the items per page).  That
 * makes lists a third smaller than with 6-byte TIDs and limits an index to
 * 2^(32 - slotBits) pages (512 GiB for 128 to 2000 dimensions at m = 16);
 * the metapage records slotBits.
 *
 * Split elements.  A page holds whole vectors of up to a third of a page
 * only twice (three do not fit), which leaves a quarter to a third of every
 * page empty at 400 to 1000 dimensions.  So a build whose elements are
 * larger than BLCKSZ / 8 fills the end of a page with the first headDim
 * floats of the next element and puts the rest in a tail tuple at tailOffno
 * on the next block (always blkno + 1).  Both parts hold at least
 * HnswSplitMin(dim) floats.  Reading such a vector takes the tail page's
 * share lock while the element's page is locked; locks on two pages are
 * only ever taken in increasing block order, so this cannot deadlock.
 * Inserts place whole elements; one that reuses a split element's slot
 * writes the tail first, under its own record, while the slot is still FREE.
 *
 * Element states: LIVE; DEAD (its heap row was reported dead by VACUUM: it is
 * still traversed, never returned, and awaits repair of the links to it);
 * FREE (unlinked by VACUUM; its slot can take a new element).
 *
 * All changes after the build go through Generic WAL, one page per record
 * (HnswCommitPage); the build writes pages without WAL and logs the whole
 * relation at the end.
 */
#ifndef VECTOR_EXT_HNSW_H
#define VECTOR_EXT_HNSW_H

#include "postgres.h"

#include "access/amapi.h"
#include "access/generic_xlog.h"
#include "access/reloptions.h"
#include "nodes/execnodes.h"
#include "storage/bufmgr.h"
#include "storage/itemptr.h"
#include "utils/relcache.h"

#include "vector.h"
#include "vx_hnsw.h"

#define HNSW_MAGIC_NUMBER   0x56584E48 /* "VXNH" */
#define HNSW_PAGE_ID        0xFF91
#define HNSW_FORMAT_VERSION 2
#define HNSW_METAPAGE_BLKNO 0

#define HNSW_DEFAULT_M               16
#define HNSW_MIN_M                   2
#define HNSW_MAX_M                   VX_HNSW_MAX_M
#define HNSW_DEFAULT_EF_CONSTRUCTION 64
#define HNSW_MIN_EF_CONSTRUCTION     4
#define HNSW_MAX_EF_CONSTRUCTION     1000
#define HNSW_DEFAULT_EF_SEARCH       40
#define HNSW_MIN_EF_SEARCH           1
#define HNSW_MAX_EF_SEARCH           1000

/*
 * A heavyweight lock on this (never allocated) page number orders inserts and
 * VACUUM: an insert holds it shared from reading the metapage to its last
 * back-link; VACUUM holds it exclusive from choosing a new entry point through
 * freeing the dead elements.  Without it an insert could link to an element
 * after VACUUM's repair pass had gone by the linking page, and the freed slot,
 * reused by a lower-level node, would leave a link inconsistent with levels.
 */
#define HNSW_UPDATE_LOCK ((BlockNumber)0xFFFFFFFE)

/* Builds link their graph with several threads only from this many nodes */
#define HNSW_PARALLEL_MIN_NODES 5000

/* Support functions of the operator classes */
#define HNSW_DISTANCE_PROC 1
#define HNSW_NORM_PROC     2 /* only the cosine class: normalise before indexing */

/* Build phases, for pg_stat_progress_create_index */
#define PROGRESS_HNSW_PHASE_LOAD  2
#define PROGRESS_HNSW_PHASE_LINK  3
#define PROGRESS_HNSW_PHASE_WRITE 4

typedef enum HnswIterativeScanMode
{
	HNSW_ITERATIVE_SCAN_OFF,
	HNSW_ITERATIVE_SCAN_RELAXED,
	HNSW_ITERATIVE_SCAN_STRICT
} HnswIterativeScanMode;

extern int hnsw_ef_search;
extern int hnsw_iterative_scan;
extern int hnsw_max_scan_tuples;
extern double hnsw_scan_mem_multiplier;

/* Reloptions */
typedef struct HnswOptions
{
	int32 vl_len_;
	int m;
	int efConstruction;
} HnswOptions;

typedef struct HnswMetaPageData
{
	uint32 magic;
	uint32 version;
	uint32 dimensions;
	uint16 m;
	uint16 efConstruction;
	uint16 metric;    /* VxMetric */
	int16 entryLevel; /* -1 when the graph is empty */
	BlockNumber entryBlkno;
	OffsetNumber entryOffno;
	uint16 slotBits;        /* offset bits of a neighbour slot (HnswSlotBitsFor) */
	BlockNumber insertPage; /* first page that may have room or a free slot */
} HnswMetaPageData;

typedef HnswMetaPageData *HnswMetaPage;

typedef struct HnswPageOpaqueData
{
	BlockNumber nextblkno; /* unused, kept for tools */
	uint16 flags;
	uint16 page_id; /* HNSW_PAGE_ID, to tell our pages apart */
} HnswPageOpaqueData;

typedef HnswPageOpaqueData *HnswPageOpaque;

#define HNSW_ELEMENT_TUPLE  1
#define HNSW_NEIGHBOR_TUPLE 2
#define HNSW_TAIL_TUPLE     3

#define HNSW_ELEMENT_LIVE 0
#define HNSW_ELEMENT_DEAD 1
#define HNSW_ELEMENT_FREE 2

typedef struct HnswElementTupleData
{
	uint8 type; /* HNSW_ELEMENT_TUPLE */
	uint8 level;
	uint8 state;          /* HNSW_ELEMENT_LIVE / DEAD / FREE */
	uint8 neighborLevels; /* levels the neighbour tuple has room for */
	ItemPointerData heaptid;
	ItemPointerData neighbortid;
	uint16 headDim;         /* floats in vec: the index's dimensions unless split */
	OffsetNumber tailOffno; /* a split element's tail tuple, on blkno + 1 */
	float vec[FLEXIBLE_ARRAY_MEMBER];
} HnswElementTupleData;

typedef HnswElementTupleData *HnswElementTuple;

/* 20 bytes of header: 2033 floats still fit a page */
StaticAssertDecl(offsetof(HnswElementTupleData, vec) == 20, "hnsw element header is 20 bytes");

typedef struct HnswTailTupleData
{
	uint8 type; /* HNSW_TAIL_TUPLE */
	uint8 unused;
	uint16 count; /* floats */
	float vec[FLEXIBLE_ARRAY_MEMBER];
} HnswTailTupleData;

typedef HnswTailTupleData *HnswTailTuple;

/* A link to an element: (block << slotBits) | offset; 0 when empty */
typedef uint32 HnswSlot;

typedef struct HnswNeighborTupleData
{
	uint8 type;   /* HNSW_NEIGHBOR_TUPLE */
	uint8 levels; /* levels it has room for */
	uint16 count; /* slots */
	HnswSlot slots[FLEXIBLE_ARRAY_MEMBER];
} HnswNeighborTupleData;

typedef HnswNeighborTupleData *HnswNeighborTuple;

#define HNSW_ELEMENT_TUPLE_SIZE(dim)                                                               \
	MAXALIGN(offsetof(HnswElementTupleData, vec) + sizeof(float) * (dim))
#define HNSW_TAIL_TUPLE_SIZE(count)                                                                \
	MAXALIGN(offsetof(HnswTailTupleData, vec) + sizeof(float) * (count))
#define HNSW_NEIGHBOR_SLOTS(m, levels) (2 * (m) + (m) * ((levels)-1))
#define HNSW_NEIGHBOR_TUPLE_SIZE(m, levels)                                                        \
	MAXALIGN(offsetof(HnswNeighborTupleData, slots) +                                              \
	         sizeof(HnswSlot) * HNSW_NEIGHBOR_SLOTS(m, levels))
/* largest item that fits an empty page */
#define HNSW_MAX_ITEM_SIZE                                                                         \
	(BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - MAXALIGN(sizeof(HnswPageOpaqueData)) -              \
	 sizeof(ItemIdData))

#define HnswPageGetOpaque(page) ((HnswPageOpaque)PageGetSpecialPointer(page))
#define HnswPageGetMeta(page)   ((HnswMetaPage)PageGetContents(page))

/* First slot of a level in a neighbour tuple, and the number of slots */
static inline int
HnswLevelStart(int m, int level)
{
	return level == 0 ? 0 : 2 * m + m * (level - 1);
}

static inline int
HnswLevelSlots(int m, int level)
{
	return level == 0 ? 2 * m : m;
}

static inline VxNodeId
HnswNodeId(BlockNumber blkno, OffsetNumber offno)
{
	return ((VxNodeId)blkno << 16) | offno;
}

static inline void
HnswNodeTid(VxNodeId id, ItemPointer tid)
{
	ItemPointerSet(tid, (BlockNumber)(id >> 16), (OffsetNumber)(id & 0xFFFF));
}

static inline VxNodeId
HnswTidNodeId(ItemPointer tid)
{
	return HnswNodeId(ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid));
}

/* Whether a build splits elements of this many dimensions */
static inline bool
HnswSplits(int dim)
{
	return HNSW_ELEMENT_TUPLE_SIZE(dim) > BLCKSZ / 8;
}

/* The fewest floats either part of a split element holds */
static inline int
HnswSplitMin(int dim)
{
	return Max(16, dim / 16);
}

/*
 * Offset bits of the neighbour slots of an index: enough for the most items
 * (each with its line pointer) that fit a page when all are the smallest
 * item the index has.
 */
static inline int
HnswSlotBitsFor(int dim, int m)
{
	Size smallest = Min(HNSW_ELEMENT_TUPLE_SIZE(dim), HNSW_NEIGHBOR_TUPLE_SIZE(m, 1));
	Size items;
	int bits = 1;

	if (HnswSplits(dim))
	{
		smallest = Min(smallest, HNSW_ELEMENT_TUPLE_SIZE(HnswSplitMin(dim)));
		smallest = Min(smallest, HNSW_TAIL_TUPLE_SIZE(HnswSplitMin(dim)));
	}
	items = (BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - MAXALIGN(sizeof(HnswPageOpaqueData))) /
	        (smallest + sizeof(ItemIdData));
	items = Min(items, MaxOffsetNumber);
	while (((Size)1 << bits) <= items)
		bits++;
	return bits;
}

/* Pages an index can have: blocks beyond cannot be put in a slot */
static inline BlockNumber
HnswSlotMaxBlocks(int slotBits)
{
	return (BlockNumber)(UINT64CONST(1) << (32 - slotBits));
}

static inline bool
HnswSlotIsValid(HnswSlot slot, int slotBits)
{
	return (slot & ((1U << slotBits) - 1)) != 0;
}

static inline VxNodeId
HnswSlotNodeId(HnswSlot slot, int slotBits)
{
	return HnswNodeId(slot >> slotBits, slot & ((1U << slotBits) - 1));
}

static inline void
HnswSlotTid(HnswSlot slot, int slotBits, ItemPointer tid)
{
	ItemPointerSet(tid, slot >> slotBits, slot & ((1U << slotBits) - 1));
}

/* The slot of a node; the caller keeps blocks below HnswSlotMaxBlocks */
static inline HnswSlot
HnswNodeSlot(VxNodeId id, int slotBits)
{
	return ((HnswSlot)(id >> 16) << slotBits) | (HnswSlot)(id & 0xFFFF);
}

/*
 * What an index operation needs to know about the index: read once from the
 * metapage and the operator class.
 */
typedef struct HnswIndexInfo
{
	int dim;
	int m;
	int efConstruction;
	int metric;   /* VxMetric */
	int slotBits; /* HnswSlotBitsFor(dim, m) */
	VxNodeId entry;
	int entryLevel;
	BlockNumber insertPage;
} HnswIndexInfo;

/*
 * State behind the VxGraphCallbacks that let the core read the graph from
 * index pages.  A failed callback leaves its error in `error` for
 * HnswRethrowIfFailed.
 */
#define HNSW_PREFETCH_BATCH 64 /* neighbours prefetched ahead of a distance batch */

typedef struct HnswGraphReader
{
	Relation index;
	int dim;
	int m;
	int metric;
	int slotBits;
	BlockNumber nblocks;           /* relation size as last looked up */
	struct HnswBufferHints *hints; /* recent buffers of this index's blocks */
	float *vecbuf;                 /* the last vector read */
	float *splitbuf;               /* a split vector, while a distance is computed */
	ErrorData *error;
	MemoryContext errcxt; /* where the saved error lives */
	VxGraphCallbacks cb;
} HnswGraphReader;

/* hnsw.c */
extern int HnswGetM(Relation index);
extern int HnswGetEfConstruction(Relation index);
extern int HnswMetricFor(Relation index);
extern void HnswInitGucs(void);
extern bytea *hnswoptions(Datum reloptions, bool validate);

/* hnswutils.c */
extern void HnswInitPage(Buffer buf, Page page);
extern Buffer HnswNewBuffer(Relation index, ForkNumber forknum, int slotBits);
extern void HnswReportFull(Relation index, int slotBits) pg_attribute_noreturn();
extern void HnswCheckPage(Relation index, Page page, BlockNumber blkno);
extern void HnswReadMeta(Relation index, HnswIndexInfo *info);
extern void HnswWriteMetaPage(Relation index, ForkNumber forknum, const HnswIndexInfo *info);
extern void HnswUpdateMeta(Relation index, VxNodeId entry, int entryLevel, bool onlyIfHigher,
                           BlockNumber insertPage, bool wal);
extern void HnswLowerInsertPage(Relation index, BlockNumber blkno);
extern bool HnswPrepareVector(Relation index, int metric, Datum value, float *out, int dim);
extern HnswElementTuple HnswElementOnPage(Relation index, Page page, ItemPointer tid, int dim);
extern HnswElementTuple HnswPageElement(Relation index, Page page, BlockNumber blkno,
                                        OffsetNumber off, int dim);
extern HnswNeighborTuple HnswNeighborsOnPage(Relation index, Page page, ItemPointer ntid);
extern HnswTailTuple HnswTailOnPage(Page page, OffsetNumber offno, int count);
extern const float *HnswSplitVector(Relation index, HnswGraphReader *reader, BlockNumber blkno,
                                    HnswElementTuple etup, int dim, float *out);

/*
 * The whole vector of an element on a locked page of block blkno: in place
 * unless the element is split, then assembled in out (dim floats).
 */
static inline const float *
HnswElementVector(Relation index, HnswGraphReader *reader, BlockNumber blkno, HnswElementTuple etup,
                  int dim, float *out)
{
	if (etup->headDim == dim)
		return etup->vec;
	return HnswSplitVector(index, reader, blkno, etup, dim, out);
}

/* The same, always copied into out */
static inline void
HnswCopyVector(Relation index, HnswGraphReader *reader, BlockNumber blkno, HnswElementTuple etup,
               int dim, float *out)
{
	if (etup->headDim == dim)
		memcpy(out, etup->vec, sizeof(float) * dim);
	else
		HnswSplitVector(index, reader, blkno, etup, dim, out);
}
extern void HnswClearNeighbors(HnswNeighborTuple ntup);
extern void HnswCheckNeighborCapacity(Relation index, Page page, ItemPointer ntid, int levels,
                                      int m);
extern void HnswClearRemoteNeighbors(Relation index, ItemPointer ntid);
extern HnswElementTuple HnswLockElement(Relation index, VxNodeId node, int dim, int mode,
                                        Buffer *bufOut);
extern void HnswInitReader(HnswGraphReader *reader, Relation index, const HnswIndexInfo *info);
extern void HnswReleaseReader(HnswGraphReader *reader);
extern void HnswRethrowIfFailed(HnswGraphReader *reader, VxStatus status, VxError *err);
extern void HnswReportCoreError(VxStatus status, VxError *err);
extern VxInsertPlan **HnswNewPlanHolder(void);
extern void HnswFreePlan(VxInsertPlan **plan);
extern bool HnswLevelList(Page page, HnswNeighborTuple ntup, int m, int slotBits, int level,
                          VxNodeId *out, int *count);
extern void HnswSetLevelList(HnswNeighborTuple ntup, int m, int slotBits, int level,
                             const VxNodeId *ids, int count);

/* hnswinsert.c */
extern void HnswWriteOwnLists(Relation index, HnswIndexInfo *info, VxNodeId node,
                              const VxInsertPlan *plan, int maxLevel);
extern void HnswApplyBackLinks(Relation index, HnswIndexInfo *info, const VxInsertPlan *plan,
                               VxNodeId self);
extern void HnswInsertVector(Relation index, const float *vec, ItemPointer heaptid,
                             HnswIndexInfo *info);
extern bool hnswinsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
                       Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
                       IndexInfo *indexInfo);

/* hnswbuild.c */
extern IndexBuildResult *hnswbuild(Relation heap, Relation index, IndexInfo *indexInfo);
extern void hnswbuildempty(Relation index);

/* hnswscan.c */
extern IndexScanDesc hnswbeginscan(Relation index, int nkeys, int norderbys);
extern void hnswrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys,
                       int norderbys);
extern bool hnswgettuple(IndexScanDesc scan, ScanDirection dir);
extern void hnswendscan(IndexScanDesc scan);

/* hnswvacuum.c */
extern IndexBulkDeleteResult *hnswbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
                                             IndexBulkDeleteCallback callback,
                                             void *callback_state);
extern IndexBulkDeleteResult *hnswvacuumcleanup(IndexVacuumInfo *info,
                                                IndexBulkDeleteResult *stats);

#endif
