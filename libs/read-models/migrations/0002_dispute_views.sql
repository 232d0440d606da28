CREATE TABLE "read_models"."buyer_disputes" (
	"dispute_id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"buyer_id" text NOT NULL,
	"seller_id" text NOT NULL,
	"status" text NOT NULL,
	"reason" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"deadline_at" timestamp with time zone,
	"outcome" text,
	"last_revision" integer NOT NULL,
	"last_position" bigint NOT NULL,
	"state" jsonb NOT NULL,
	"file" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "read_models"."dispute_stats" (
	"dispute_id" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"reason" text NOT NULL,
	"outcome" text,
	"reached_by" text,
	"opened_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"resolution_ms" bigint,
	"last_revision" integer NOT NULL,
	"last_position" bigint NOT NULL,
	"state" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "read_models"."mediator_buyer_orders" (
	"order_id" text PRIMARY KEY NOT NULL,
	"buyer_id" text NOT NULL,
	"placed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "read_models"."mediator_cases" (
	"dispute_id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"buyer_id" text NOT NULL,
	"seller_id" text NOT NULL,
	"status" text NOT NULL,
	"reason" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"deadline_at" timestamp with time zone,
	"outcome" text,
	"last_revision" integer NOT NULL,
	"last_position" bigint NOT NULL,
	"state" jsonb NOT NULL,
	"file" jsonb NOT NULL,
	"mediator_id" text,
	"queued_at" timestamp with time zone,
	"abuse_signal" boolean DEFAULT false NOT NULL,
	"abuse_disputes" integer DEFAULT 0 NOT NULL,
	"abuse_orders" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "read_models"."seller_disputes" (
	"dispute_id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"buyer_id" text NOT NULL,
	"seller_id" text NOT NULL,
	"status" text NOT NULL,
	"reason" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"deadline_at" timestamp with time zone,
	"outcome" text,
	"last_revision" integer NOT NULL,
	"last_position" bigint NOT NULL,
	"state" jsonb NOT NULL,
	"file" jsonb NOT NULL,
	"escalated_at" timestamp with time zone,
	"seller_at_fault" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "read_models"."seller_orders" (
	"order_id" text PRIMARY KEY NOT NULL,
	"seller_id" text NOT NULL,
	"placed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "read_models"."timeline_entries" (
	"dispute_id" text NOT NULL,
	"revision" integer NOT NULL,
	"position" bigint NOT NULL,
	"type" text NOT NULL,
	"actor_role" text NOT NULL,
	"actor_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"data" jsonb NOT NULL,
	CONSTRAINT "timeline_entries_dispute_id_revision_pk" PRIMARY KEY("dispute_id","revision")
);
--> statement-breakpoint
CREATE INDEX "buyer_disputes_by_buyer" ON "read_models"."buyer_disputes" USING btree ("buyer_id","opened_at","dispute_id");--> statement-breakpoint
CREATE INDEX "dispute_stats_opened" ON "read_models"."dispute_stats" USING btree ("opened_at");--> statement-breakpoint
CREATE INDEX "mediator_buyer_orders_by_buyer" ON "read_models"."mediator_buyer_orders" USING btree ("buyer_id","placed_at");--> statement-breakpoint
CREATE INDEX "mediator_cases_queue" ON "read_models"."mediator_cases" USING btree ("status","deadline_at","queued_at","dispute_id");--> statement-breakpoint
CREATE INDEX "mediator_cases_by_buyer" ON "read_models"."mediator_cases" USING btree ("buyer_id","opened_at");--> statement-breakpoint
CREATE INDEX "seller_disputes_by_seller" ON "read_models"."seller_disputes" USING btree ("seller_id","opened_at","dispute_id");--> statement-breakpoint
CREATE INDEX "seller_orders_by_seller" ON "read_models"."seller_orders" USING btree ("seller_id","placed_at");