"""Two stages paired equation by equation, the summary of what the transformation did, the text
diff, and the batch axes a vmap added."""
