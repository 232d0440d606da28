CREATE TABLE "read_models"."deadline_dispute_states" (
	"dispute_id" text PRIMARY KEY NOT NULL,
	"state" jsonb NOT NULL,
	"last_position" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "read_models"."deadlines" (
	"id" text PRIMARY KEY NOT NULL,
	"dispute_id" text NOT NULL,
	"kind" text NOT NULL,
	"request_id" text,
	"due_at" timestamp (3) with time zone NOT NULL,
	"consequence" text NOT NULL,
	"armed_position" bigint NOT NULL,
	"claimed_until" timestamp (3) with time zone,
	"claimed_by" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"fired_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE INDEX "deadlines_dispute_idx" ON "read_models"."deadlines" USING btree ("dispute_id");--> statement-breakpoint
CREATE INDEX "deadlines_due_idx" ON "read_models"."deadlines" USING btree ("due_at");