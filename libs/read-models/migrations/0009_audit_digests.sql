CREATE TABLE "read_models"."audit_digests" (
	"epoch" integer NOT NULL,
	"count" bigint NOT NULL,
	"position" bigint NOT NULL,
	"root" text NOT NULL,
	"key_id" text NOT NULL,
	"closing" boolean DEFAULT false NOT NULL,
	"digest" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "audit_digests_epoch_count_pk" PRIMARY KEY("epoch","count")
);
--> statement-breakpoint
CREATE TABLE "read_models"."audit_leaves" (
	"epoch" integer NOT NULL,
	"index" bigint NOT NULL,
	"position" bigint NOT NULL,
	"stream_id" text NOT NULL,
	"revision" bigint NOT NULL,
	"event_id" text NOT NULL,
	"type" text NOT NULL,
	"recorded_at" text NOT NULL,
	"data_hash" text NOT NULL,
	"metadata_hash" text NOT NULL,
	"leaf_hash" text NOT NULL,
	CONSTRAINT "audit_leaves_epoch_index_pk" PRIMARY KEY("epoch","index")
);
--> statement-breakpoint
CREATE INDEX "audit_leaves_stream_idx" ON "read_models"."audit_leaves" USING btree ("epoch","stream_id");