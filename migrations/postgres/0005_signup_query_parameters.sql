-- Signup query parameters carried by a magic link (PropelAuth's `create_magic_link`
-- `user_signup_query_parameters`): a JSON object of strings, copied to the user the link
-- creates. NULL when the link was minted without any.

ALTER TABLE magic_links ADD COLUMN signup_query_parameters TEXT;
