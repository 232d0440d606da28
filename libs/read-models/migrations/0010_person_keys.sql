CREATE TABLE "read_models"."person_keys" (
	"key_id" text PRIMARY KEY NOT NULL,
	"person_id" text NOT NULL,
	"wrapped_key" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"destroyed_at" timestamp (3) with time zone,
	"destroy_reason" text
);
--> statement-breakpoint
CREATE UNIQUE INDEX "person_keys_live_idx" ON "read_models"."person_keys" USING btree ("person_id") WHERE "read_models"."person_keys"."destroyed_at" IS NULL;--> statement-breakpoint
CREATE INDEX "person_keys_person_idx" ON "read_models"."person_keys" USING btree ("person_id");