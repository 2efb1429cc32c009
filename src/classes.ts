/** FER2013's seven expression classes, in the standard label-id order (0 angry … 6 neutral). */
export const FER_CLASSES = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] as const;

/** One of FER2013's class names. */
export type FerClass = (typeof FER_CLASSES)[number];

/** FER2013 images are 48x48 single-channel (gray). */
export const FER_IMAGE_SIZE = 48;
