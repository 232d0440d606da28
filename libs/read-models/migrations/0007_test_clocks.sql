CREATE TABLE "read_models"."test_clocks" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text,
	"frozen_time" timestamp (3) with time zone NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "read_models"."deadlines" ADD COLUMN "test_clock_id" text;--> statement-breakpoint
CREATE INDEX "deadlines_test_clock_idx" ON "read_models"."deadlines" USING btree ("test_clock_id") WHERE "read_models"."deadlines"."test_clock_id" IS NOT NULL;