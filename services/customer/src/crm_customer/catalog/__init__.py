"""The ADMIN catalogs: custom field definitions (and the values they allow) and the tag catalog."""
