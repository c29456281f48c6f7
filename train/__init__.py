"""train: reproduce the paper's GAN training on real dance and export the shipped generator."""
