"""Result types and their JSON: the common result base, probe run results, the import schema
(``concept-depth/result@1``) and importing result files made elsewhere."""
