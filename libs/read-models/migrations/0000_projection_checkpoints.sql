CREATE SCHEMA "read_models";
--> statement-breakpoint
CREATE TABLE "read_models"."projection_checkpoints" (
	"name" text PRIMARY KEY NOT NULL,
	"position" bigint DEFAULT -1 NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"last_error" text,
	"failed_position" bigint,
	"failed_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"owner" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
